{#- The strict-order funnel of the sessions in `events` (a relation or CTE
    with session_id, event_name, event_at; every event of each session it
    holds): one row per session that reaches step 2 or further, with
    funnel_step_reached (kpi-definitions.md "Funnel"). The view
    behaviour__sessions_funnel_steps runs it over fct_events; fct_sessions
    runs it over the events of the sessions it rebuilds, so that an
    incremental run does not work out the funnel of every stored session.
    Returns a whole select (its own with), to use as a subquery. -#}
{% macro funnel_steps_reached(events) %}
    {%- set steps = var('funnel_steps') -%}
    with

        -- Only the events of the funnel's steps, read once per step. Narrow and
        -- filtered on purpose: DuckDB materializes a CTE read more than once, and the
        -- one-row-per-session chain this replaced (step 1 for every session, then a
        -- left join per step) ran a 20M-event build out of memory.
        funnel_events as (

            select session_id, event_name, event_at
            from {{ events }}
            where session_id is not null and event_name in ({{ "'" ~ steps | join("', '") ~ "'" }})

        ),

        -- Step 2: the first event of step 2 is at or after the session start (step 1)
        -- by definition, so it is the session's first such event.
        step_2 as (

            select session_id, min(event_at) as step_at
            from funnel_events
            where event_name = '{{ steps[0] }}'
            group by session_id

        ),

        {%- for step in steps[1:] %}
            {%- set k = loop.index + 2 %}

            step_{{ k }} as (

                select step_{{ k - 1 }}.session_id, min(funnel_events.event_at) as step_at
                from step_{{ k - 1 }}
                inner join
                    funnel_events
                    on funnel_events.session_id = step_{{ k - 1 }}.session_id
                    and funnel_events.event_name = '{{ step }}'
                    and funnel_events.event_at >= step_{{ k - 1 }}.step_at
                group by step_{{ k - 1 }}.session_id

            ),
        {%- endfor %}

        reached as (

            {%- for step in steps %}
                select session_id, {{ loop.index + 1 }} as step
                from step_{{ loop.index + 1 }}
                {%- if not loop.last %}
                    union all
                {%- endif %}
            {%- endfor %}

        ),

        final as (select session_id, max(step) as funnel_step_reached from reached group by session_id)

    select *
    from final
{% endmacro %}
