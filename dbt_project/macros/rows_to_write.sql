{#- What an incremental model writes, given the CTE of the rows it recomputed.

    DuckDB (delete+insert by unique_key): the recomputed rows as they are.

    Spark (insert_overwrite, dynamic partitions on key_bucket, macros
    incremental_by_key and key_bucket_column): every bucket the run touches is replaced whole,
    so the select returns whole buckets: the recomputed rows, plus the stored
    rows of each bucket a recomputed row lands in whose key was not
    recomputed. A key's stored rows share its bucket, so this is the
    delete+insert by key that DuckDB runs. Spark may re-read the partitions
    it overwrites: dynamic overwrite stages the new files and swaps them in
    at commit.

    Guards, because dbt's schema check cannot see through this select: the
    columns are matched by name (a reordered model is harmless); a column the
    model dropped fails as unresolved, and one it added fails the union (the
    `* except` of the table's columns is empty unless the model has more),
    until a --full-refresh. A table created with another bucket count
    (tblproperties ecom.key_buckets) stops the run with a message. Reads
    unique_key and partition_by from the model's config. -#}
{% macro rows_to_write(recomputed) %}
    {{ return(adapter.dispatch('rows_to_write', 'ecom_analytics')(recomputed)) }}
{% endmacro %}

{% macro default__rows_to_write(recomputed) %} select * from {{ recomputed }} {% endmacro %}

{% macro spark__rows_to_write(recomputed) %}
    {%- if not is_incremental() -%} select * from {{ recomputed }}
    {%- else -%}
        {%- set unique_key = config.get('unique_key') -%}
        {%- set partition_by = config.get('partition_by') -%}
        {%- if unique_key is not string or partition_by != ['key_bucket'] -%}
            {{ exceptions.raise_compiler_error(
            "rows_to_write needs the config of incremental_by_key(key): one unique_key column, partition_by key_bucket; " ~ this
            ~ " has unique_key " ~ unique_key ~ " and partition_by " ~ partition_by) }}
        {%- endif -%}
        {%- set buckets = key_buckets() | string -%}
        {%- if execute -%}
            {%- set stored_buckets = run_query(
            "show tblproperties " ~ this ~ " ('ecom.key_buckets')").columns[1].values()[0] | string -%}
            {%- if stored_buckets != buckets -%}
                {{ exceptions.raise_compiler_error(
                this ~ " was built with key buckets '" ~ stored_buckets ~ "', var ecom__spark_key_buckets is "
                ~ buckets ~ ": its keys would land in other buckets and leave their old rows behind. "
                ~ "Rebuild it with --full-refresh, or set the var back.") }}
            {%- endif -%}
        {%- endif -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        select
            {% for column in columns -%} recomputed.{{ column }},
            {% endfor -%}
            -- a column the table lacks (none, unless the model changed) fails the union
            recomputed.* except ({{ columns | join(', ') }})
        from {{ recomputed }} as recomputed

        union all

        select {% for column in columns -%} stored.{{ column }}{{ ',' if not loop.last }} {% endfor -%}
        from {{ this }} as stored
        left semi join {{ recomputed }} as touched_buckets on touched_buckets.key_bucket = stored.key_bucket
        left anti join {{ recomputed }} as recomputed_keys on recomputed_keys.{{ unique_key }} = stored.{{ unique_key }}
    {%- endif -%}
{% endmacro %}
