{#- Whether an incremental run of int_events_sessionized re-sessionizes only
    the persons its new events touch (the scoped recompute) or every event.

    DuckDB: scoped. Spark: every event, in one pass, because Spark's
    optimizer inlines every reference to a CTE: the scoped recompute's ~30
    CTEs, several read two or three times, expand to a plan of 22 MB that
    took 80 s to plan on the 21-day test shop, and ran a 4 GB driver out of
    heap once the select also returned whole (day) partitions (measured
    with Spark 4.3). The Spark run keeps the sessionized_at of every row that came
    out the same (outside a backfill window), so fct_events and fct_sessions
    downstream still recompute only what changed. -#}
{% macro scoped_resessionization() %}
    {{ return(adapter.dispatch('scoped_resessionization', 'ecom_analytics')()) }}
{% endmacro %}

{% macro default__scoped_resessionization() %} {{ return(true) }} {% endmacro %}

{% macro spark__scoped_resessionization() %} {{ return(false) }} {% endmacro %}
