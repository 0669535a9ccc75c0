-- Where does the funnel leak, per device category? Each step's sessions, the
-- share of the step before that reached it, and the sessions lost there.
with

    steps as (

        select device_category, step_number, step_name, sum(sessions_reached) as sessions_reached
        from {{ ref('funnel_daily') }}
        group by device_category, step_number, step_name

    ),

    with_previous as (

        select
            *, lag(sessions_reached) over (partition by device_category order by step_number) as previous_step_sessions
        from steps

    ),

    final as (

        select
            device_category,
            step_number,
            step_name,
            sessions_reached,
            round(1.0 * sessions_reached / nullif(previous_step_sessions, 0), 4) as share_of_previous_step,
            previous_step_sessions - sessions_reached as sessions_lost_here
        from with_previous

    )

select *
from final
order by device_category, step_number
