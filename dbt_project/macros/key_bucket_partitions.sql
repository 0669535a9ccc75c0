{#- Spark only: the partitions of the event-driven incremental models (macro
    incremental_by_key) are hash buckets of the model's unique key (var
    ecom__spark_key_buckets buckets), stored in the column key_bucket, which
    exists on Spark only. Why buckets and not days: docs/spark.md, "Engine
    details".

    key_buckets(): the bucket count on Spark, none elsewhere (DuckDB tables
    have no partitions).
    key_bucket_column(key): the column's SQL, to append as the last column of
    the model's select (Spark stores partition columns last); empty on
    other engines. -#}
{% macro key_buckets() %} {{ return(adapter.dispatch('key_buckets', 'ecom_analytics')()) }} {% endmacro %}

{% macro default__key_buckets() %} {{ return(none) }} {% endmacro %}

{% macro spark__key_buckets() %} {{ return(var('ecom__spark_key_buckets')) }} {% endmacro %}

{% macro key_bucket_column(key) %}
    {{ return(adapter.dispatch('key_bucket_column', 'ecom_analytics')(key)) }}
{% endmacro %}

{% macro default__key_bucket_column(key) %} {{ return('') }} {% endmacro %}

{% macro spark__key_bucket_column(key) %}
    {{ return(",\n        pmod(hash(" ~ key ~ "), " ~ key_buckets() ~ ") as key_bucket") }}
{% endmacro %}
