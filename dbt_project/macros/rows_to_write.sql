{#- What an incremental model writes, given the CTE of the rows it recomputed.

    DuckDB (delete+insert by unique_key): the recomputed rows as they are.

    Spark (insert_overwrite, dynamic partitions on key_bucket, macro
    key_bucket_partitions): every bucket the run touches is replaced whole,
    so the select returns whole buckets: the recomputed rows, plus the stored
    rows of each bucket a recomputed row lands in whose key was not
    recomputed. A key's stored rows share its bucket, so this is the
    delete+insert by key that DuckDB runs. Spark may re-read the partitions
    it overwrites: dynamic overwrite stages the new files and swaps them in
    at commit.

    The two branches are unioned by position (select *), so a model whose
    columns changed stops with Spark's union error instead of writing a
    silent mix (run it once with --full-refresh). Reads unique_key and
    partition_by from the model's config. -#}
{% macro rows_to_write(recomputed) %}
    {{ return(adapter.dispatch('rows_to_write', 'ecom_analytics')(recomputed)) }}
{% endmacro %}

{% macro default__rows_to_write(recomputed) %}
    select * from {{ recomputed }}
{% endmacro %}

{% macro spark__rows_to_write(recomputed) %}
    {%- if not is_incremental() -%}
    select * from {{ recomputed }}
    {%- else -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- if unique_key is not string or partition_by != ['key_bucket'] -%}
        {{ exceptions.raise_compiler_error(
            "rows_to_write needs one unique_key column and partition_by key_bucket_partition_by(); " ~ this
            ~ " has unique_key " ~ unique_key ~ " and partition_by " ~ partition_by) }}
    {%- endif -%}
    select * from {{ recomputed }}

    union all

    select stored.*
    from {{ this }} as stored
    left semi join {{ recomputed }} as touched_buckets
        on touched_buckets.key_bucket = stored.key_bucket
    left anti join {{ recomputed }} as recomputed_keys
        on recomputed_keys.{{ unique_key }} = stored.{{ unique_key }}
    {%- endif -%}
{% endmacro %}
