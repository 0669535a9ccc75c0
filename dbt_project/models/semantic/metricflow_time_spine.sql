{#- MetricFlow's time spine: one row per day over every date the marts can
    hold, so metrics fill days without data and roll days up to weeks,
    months, quarters and years. It starts in 1970 so that an imported order
    history of any age (the tests use CDNOW's, from 1997) keeps every day. -#}
with

    days as ({{ date_series("cast('1970-01-01' as date)", "cast('2040-12-31' as date)") }}),

    final as (select cast(date_day as date) as date_day from days)

select *
from final
