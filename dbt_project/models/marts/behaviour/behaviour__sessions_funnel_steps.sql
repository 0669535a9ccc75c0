{#- Strict-order funnel (kpi-definitions.md "Funnel"): step 1 is the session
    start; step k is the first event of step k at or after step k-1's time.
    Only sessions that reach step 2 or further have a row: every session
    reaches step 1, and fct_sessions gives a session without a row step 1.
    The SQL is the macro funnel_steps_reached, which fct_sessions runs over the
    sessions it rebuilds. -#}
{{ config(materialized='view', schema='intermediate', tags=['daily_partitioned']) }}

with final as ({{ funnel_steps_reached(ref('fct_events')) }})

select *
from final
