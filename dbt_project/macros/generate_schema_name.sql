{#- Schemas are exactly raw, staging, intermediate and marts: the public
    interface names them, so no target-name prefix as dbt does by default. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%} {{ target.schema }} {%- else -%} {{ custom_schema_name | trim }} {%- endif -%}
{%- endmacro %}
