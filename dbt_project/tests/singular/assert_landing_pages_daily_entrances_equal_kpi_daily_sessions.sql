-- Every KPI session enters on exactly one landing page: entrances per day sum to kpi_daily.sessions.
-- Returns the days that break it.
-- A Dagster asset check of the model it guards (dagster-dbt reads meta.dagster.ref).
{{ config(meta={'dagster': {'ref': {'name': 'landing_pages_daily'}}}) }}
with

    landing_days as (

        select date_day, sum(entrances) as entrances from {{ ref('landing_pages_daily') }} group by date_day

    ),

    kpi_days as (select date_day, sessions from {{ ref('kpi_daily') }} where sessions > 0),

    final as (

        select coalesce(kpi_days.date_day, landing_days.date_day) as date_day, kpi_days.sessions, landing_days.entrances
        from kpi_days
        full outer join landing_days on landing_days.date_day = kpi_days.date_day
        where kpi_days.sessions is null or landing_days.entrances is null or kpi_days.sessions <> landing_days.entrances

    )

select *
from final
