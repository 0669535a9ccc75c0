{#- What an incremental model writes, given the CTE of the rows it recomputed.

    DuckDB (delete+insert by unique_key): the recomputed rows as they are.

    Spark (insert_overwrite, dynamic partitions): every partition the run
    touches is replaced whole, so the select must return whole partitions:
    the recomputed rows, plus the stored rows of each touched partition whose
    key was not recomputed. A partition is touched when a recomputed row lands
    in it or a stored row of a recomputed key sits in it (that row must go,
    e.g. a visitor's sessions on an earlier day, or an event whose winning
    copy now has another date). The result is the delete+insert by key that
    DuckDB runs. Spark may re-read the partitions it overwrites: dynamic
    overwrite stages the new files and swaps them in at commit. Columns are
    listed by name because Spark stores the partition column last.

    Reads unique_key and partition_by from the model's config. -#}
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
    {%- if unique_key is not string or partition_by is none or partition_by | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            "rows_to_write needs one unique_key column and one partition_by column; " ~ this
            ~ " has unique_key " ~ unique_key ~ " and partition_by " ~ partition_by) }}
    {%- endif -%}
    {%- set partition_column = partition_by[0] -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    select
        {% for column in columns -%}
        recomputed.{{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from {{ recomputed }} as recomputed

    union all

    select
        {% for column in columns -%}
        stored.{{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from {{ this }} as stored
    left semi join (
        select {{ partition_column }} from {{ recomputed }}
        union
        select replaced.{{ partition_column }}
        from {{ this }} as replaced
        left semi join {{ recomputed }} as recomputed_keys
            on recomputed_keys.{{ unique_key }} = replaced.{{ unique_key }}
    ) as touched_partitions
        on touched_partitions.{{ partition_column }} <=> stored.{{ partition_column }}
    left anti join {{ recomputed }} as recomputed_keys
        on recomputed_keys.{{ unique_key }} = stored.{{ unique_key }}
    {%- endif -%}
{% endmacro %}
