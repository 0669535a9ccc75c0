{#- Credits of six attribution models per order (kpi-definitions.md
    "Attribution") over the sessions of marketing__order_touchpoints_joined. -#}
{%- set models = ['first_touch', 'last_touch', 'last_non_direct', 'linear', 'time_decay', 'position_based'] -%}

with

    touchpoints as (select * from {{ ref('marketing__order_touchpoints_joined') }}),

    orders as (select * from {{ ref('fct_orders') }} where not is_cancelled),

    numbered as (

        select
            *,
            row_number() over (partition by order_id order by session_start_at, session_id) as touch_number,
            count(*) over (partition by order_id) as touches,
            -- time decay: 2^(-age / half-life)
            power(2.0, - age_days / {{ var('ecom__attribution_half_life_days') }}) as decay_weight
        from touchpoints

    ),

    positioned as (

        select
            *,
            max(case when is_non_direct then touch_number end) over (partition by order_id) as last_non_direct_number,
            sum(decay_weight) over (partition by order_id) as decay_weight_total
        from numbered

    ),

    weighted as (

        {% for model in models %}
            select
                order_id,
                ordered_at,
                order_date,
                net_sales,
                session_id,
                session_start_at,
                touch_number,
                source,
                medium,
                campaign,
                channel_group,
                '{{ model }}' as attribution_model,
                {% if model == 'first_touch' -%} case when touch_number = 1 then 1.0 else 0.0 end
                {%- elif model == 'last_touch' -%} case when touch_number = touches then 1.0 else 0.0 end
                {%- elif model == 'last_non_direct' -%}
                    -- the last non-direct session; only direct ones: the last session
                    case when touch_number = coalesce(last_non_direct_number, touches) then 1.0 else 0.0 end
                {%- elif model == 'linear' -%} 1.0 / touches
                {%- elif model == 'time_decay' -%} decay_weight / decay_weight_total
                {%- elif model == 'position_based' -%}
                    -- 40/20/40 with three or more sessions, 50/50 with two, 100 with one
                    case
                        when touches = 1
                        then 1.0
                        when touches = 2
                        then 0.5
                        when touch_number = 1 or touch_number = touches
                        then 0.4
                        else 0.2 / (touches - 2)
                    end
                {%- endif %} as weight
            from positioned {{ 'union all' if not loop.last }}
        {% endfor %}

    ),

    credited as (select * from weighted where weight > 0),

    -- in whole cents: every row gets the floor of its share, and the cents left
    -- over (fewer than the rows) go one each to the rows with the largest
    -- fractions (then the largest weight, then the latest session), so the
    -- credits add up exactly and none falls outside its share's floor and ceiling
    in_cents as (

        select
            *,
            cast(round(net_sales * 100) as bigint) * weight as share_cents,
            floor(cast(round(net_sales * 100) as bigint) * weight) as floor_cents
        from credited

    ),

    ranked_fractions as (

        select
            *,
            cast(round(net_sales * 100) as bigint)
            - sum(floor_cents) over (partition by order_id, attribution_model) as leftover_cents,
            row_number() over (
                partition by order_id, attribution_model
                order by share_cents - floor_cents desc, weight desc, touch_number desc
            ) as fraction_rank
        from in_cents

    ),

    session_credits as (

        select
            order_id,
            order_date,
            attribution_model,
            session_id,
            session_start_at,
            source,
            medium,
            campaign,
            channel_group,
            weight,
            cast(
                (floor_cents + case when fraction_rank <= leftover_cents then 1 else 0 end) / 100.0 as decimal(18, 2)
            ) as credit
        from ranked_fractions

    ),

    -- an order with no eligible session: one Direct row per model
    unattributed as (

        {% for model in models %}
            select
                orders.order_id,
                orders.order_date,
                '{{ model }}' as attribution_model,
                cast(null as {{ dbt.type_string() }}) as session_id,
                cast(null as {{ dbt.type_timestamp() }}) as session_start_at,
                '(direct)' as source,
                '(none)' as medium,
                '(not set)' as campaign,
                'Direct' as channel_group,
                1.0 as weight,
                orders.net_sales as credit
            from orders
            where orders.order_id not in (select order_id from touchpoints) {{ 'union all' if not loop.last }}
        {% endfor %}

    ),

    final as (

        select *
        from session_credits
        union all
        select *
        from unattributed

    )

select *
from final
