{#- Strict-order funnel (kpi-definitions.md "Funnel"): step 1 is the session
    start; step k is the first event of step k at or after step k-1's time. -#}
{%- set steps = var('funnel_steps') -%}
{{ config(materialized='view', tags=['daily_partitioned']) }}

with

events as (

    select
        session_id,
        event_name,
        event_at
    from {{ ref('fct_events') }}
    where session_id is not null

),

step_1 as (

    select
        session_id,
        min(event_at) as step_at
    from events
    group by session_id

),

{%- for step in steps %}
{%- set k = loop.index + 1 %}

step_{{ k }} as (

    select
        step_{{ k - 1 }}.session_id,
        min(events.event_at) as step_at
    from step_{{ k - 1 }}
    inner join events
        on events.session_id = step_{{ k - 1 }}.session_id
        and events.event_name = '{{ step }}'
        and events.event_at >= step_{{ k - 1 }}.step_at
    group by step_{{ k - 1 }}.session_id

),
{%- endfor %}

final as (

    select
        step_1.session_id,
        step_1.step_at as step_1_at,
        {%- for step in steps %}
        step_{{ loop.index + 1 }}.step_at as step_{{ loop.index + 1 }}_at,
        {%- endfor %}
        case
            {%- for step in steps | reverse %}
            when step_{{ steps | length + 2 - loop.index }}.step_at is not null then {{ steps | length + 2 - loop.index }}
            {%- endfor %}
            else 1
        end as funnel_step_reached
    from step_1
    {%- for step in steps %}
    left join step_{{ loop.index + 1 }}
        on step_{{ loop.index + 1 }}.session_id = step_1.session_id
    {%- endfor %}

)

select * from final
