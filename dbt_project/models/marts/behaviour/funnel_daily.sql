{%- set steps = ['session start'] + var('funnel_steps') -%}

with

    sessions as (select * from {{ ref('behaviour__sessions_filtered') }}),

    steps as (

        {%- for step in steps %}
            select {{ loop.index }} as step_number, '{{ step }}' as step_name{{ " union all" if not loop.last }}
        {%- endfor %}

    ),

    segments as (select distinct session_date, device_category, platform, channel_group from sessions),

    reached as (

        select
            sessions.session_date,
            sessions.device_category,
            sessions.platform,
            sessions.channel_group,
            steps.step_number,
            count(*) as sessions_reached
        from sessions
        inner join steps on steps.step_number <= sessions.funnel_step_reached
        group by 1, 2, 3, 4, 5

    ),

    -- every step for every segment that had sessions, zeros included
    final as (

        select
            segments.session_date,
            segments.device_category,
            segments.platform,
            segments.channel_group,
            steps.step_number,
            steps.step_name,
            coalesce(reached.sessions_reached, 0) as sessions_reached
        from segments
        cross join steps
        left join
            reached
            on reached.session_date = segments.session_date
            and reached.device_category = segments.device_category
            and reached.platform = segments.platform
            and reached.channel_group = segments.channel_group
            and reached.step_number = steps.step_number

    )

select *
from final
