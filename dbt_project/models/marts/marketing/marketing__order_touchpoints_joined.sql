{{ config(schema='intermediate') }}

{#- One row per non-cancelled order x eligible session: the sessions of the
    order's person (customer_id = stitched person_id) that start within var
    ecom__attribution_lookback_days before the order time (inclusive), bots
    left out, with each session's age at the order in days. -#}
{%- set lookback_days = var('ecom__attribution_lookback_days') -%}

with

    orders as (select * from {{ ref('fct_orders') }} where not is_cancelled),

    sessions as (select * from {{ ref('fct_sessions') }} where not is_bot),

    joined as (

        select
            orders.order_id,
            orders.ordered_at,
            orders.order_date,
            orders.net_sales,
            sessions.session_id,
            sessions.session_start_at,
            sessions.source,
            sessions.medium,
            sessions.campaign,
            sessions.channel_group,
            sessions.channel_group <> 'Direct' as is_non_direct,
            {{ seconds_between('sessions.session_start_at', 'orders.ordered_at') }} / 86400.0 as age_days
        from orders
        inner join
            sessions
            on sessions.person_id = orders.customer_id
            and sessions.session_start_at <= orders.ordered_at
            and sessions.session_start_at >= {{ dbt.dateadd('day', -lookback_days, 'orders.ordered_at') }}

    ),

    final as (select * from joined)

select *
from final
