{#- The partition column of an event-driven incremental model where the
    engine's incremental strategy needs one: Spark's insert_overwrite replaces
    whole partitions (a day each). DuckDB tables have no partitions (dbt-duckdb
    would warn and ignore them). -#}
{% macro partition_by_for_target(column) %}
    {{ return(adapter.dispatch('partition_by_for_target', 'ecom_analytics')(column)) }}
{% endmacro %}

{% macro default__partition_by_for_target(column) %}
    {{ return(none) }}
{% endmacro %}

{% macro spark__partition_by_for_target(column) %}
    {{ return([column]) }}
{% endmacro %}
