{#- The incremental watermark, one rule for every event model: a row is new
    when its `column` is later than the newest `stored_column` (default: the
    same name) of the model's stored table. An empty stored table (built
    before any event landed) takes every row: a bare `>` against its null
    maximum would take none, and the model would stay empty until a full
    refresh. -#}
{% macro newer_than_stored(column, stored_column=none) -%}
    {%- set stored = stored_column or column -%}
    ({{ column }} > (select max({{ stored }}) from {{ this }}) or (select max({{ stored }}) from {{ this }}) is null)
{%- endmacro %}
