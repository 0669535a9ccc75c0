{#- True for a timestamp inside the backfill window (ecom__backfill_start
    inclusive, ecom__backfill_end exclusive, both UTC), given as vars or, as
    a partitioned Dagster run passes it, as environment variables
    ECOM_BACKFILL_START / ECOM_BACKFILL_END (a var wins): changed --vars make
    dbt parse the whole project again, a changed environment does not. False
    when no window is set, so a plain run only takes new loads. A malformed
    window stops the run before any SQL runs. -#}
{% macro in_backfill_window(column) %}
    {%- set start = var('ecom__backfill_start', none) or (env_var('ECOM_BACKFILL_START', '') | trim) or none -%}
    {%- set end = var('ecom__backfill_end', none) or (env_var('ECOM_BACKFILL_END', '') | trim) or none -%}
    {%- if start is none and end is none -%} false
    {%- else -%}
        {%- set pattern = '^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$' -%}
        {%- for name, value in [('ecom__backfill_start', start), ('ecom__backfill_end', end)] -%}
            {%- if value is none or not modules.re.match(pattern, value | string) -%}
                {{ exceptions.raise_compiler_error(
                    name ~ " is " ~ (value | string) ~ ": give both ecom__backfill_start and ecom__backfill_end "
                    ~ "as UTC 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS', e.g. --vars "
                    ~ "'{ecom__backfill_start: \"2026-10-01\", ecom__backfill_end: \"2026-10-08\"}'") }}
            {%- endif -%}
        {%- endfor -%}
        {%- if (start | string) >= (end | string) -%}
            {{ exceptions.raise_compiler_error(
                "the backfill window is empty: ecom__backfill_start " ~ start
                ~ " is not before ecom__backfill_end " ~ end) }}
        {%- endif -%}
        (
            {{ column }} >= cast('{{ start }}' as {{ dbt.type_timestamp() }})
            and {{ column }} < cast('{{ end }}' as {{ dbt.type_timestamp() }})
        )
    {%- endif -%}
{% endmacro %}
