{#- Select body keeping the newest landed version of each key: later load,
    then the file path that sorts last, then the later line (landing-contract.md).
    Use it as the body of a CTE over a raw shop table. -#}
{% macro newest_version(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _load_id desc, _file desc, _line desc
            ) as version_rank
        from {{ relation }}
    ) as ranked
    where version_rank = 1
{%- endmacro %}
