{#- on-run-start: the shop settings (ECOM_CONFIG, ECOM_DBT_VARS) are read and
    checked by orchestration/settings.py, which hands them to dbt as --vars
    together with the var ecom__settings_source. A dbt command started by hand
    while either is set but without those --vars would build with the
    dbt_project.yml defaults: it stops here instead, saying how to pass them. -#}
{% macro check_shop_settings() %}
    {%- set given = [] -%}
    {%- for name in ['ECOM_CONFIG', 'ECOM_DBT_VARS'] -%}
        {%- if env_var(name, '') | trim -%} {%- do given.append(name) -%} {%- endif -%}
    {%- endfor -%}
    {%- if execute and given and var('ecom__settings_source', none) is none -%}
        {{ exceptions.raise_compiler_error(
            given | join(' and ') ~ " set, but this dbt command did not get the shop settings: run it as "
            ~ "make dbt ARGS='build ...', or add --vars \"$(python -m orchestration.settings)\" "
            ~ "(which checks them); see README, Shop settings."
        ) }}
    {%- endif -%}
    select 1
{% endmacro %}
