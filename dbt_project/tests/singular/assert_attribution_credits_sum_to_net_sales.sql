-- For every non-cancelled order and every one of the six models, the
-- credits add up to the order's net sales exactly (and no model is missing).
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'attribution_credits'}}}) }}
with

    orders as (select order_id, net_sales from {{ ref('fct_orders') }} where not is_cancelled),

    models as (select distinct attribution_model from {{ ref('attribution_credits') }}),

    expected as (select orders.order_id, orders.net_sales, models.attribution_model from orders cross join models),

    credited as (

        select order_id, attribution_model, sum(credit) as credited
        from {{ ref('attribution_credits') }}
        group by order_id, attribution_model

    )

select expected.order_id, expected.attribution_model, expected.net_sales, credited.credited
from expected
left join credited on credited.order_id = expected.order_id and credited.attribution_model = expected.attribution_model
where credited.credited is null or credited.credited <> expected.net_sales or (select count(*) from models) <> 6
