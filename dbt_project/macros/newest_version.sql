{#- Select body keeping the newest landed version of each key: later load,
    then the file path that sorts last, then the later line (landing-contract.md).
    Use it as the body of a CTE over a raw shop table. key_columns may be expressions (the key as
    the model types it). The rank's name starts with '_', which no landed column keeps (the loader
    stores `_x` as `landed_x`): a landed column named version_rank cannot collide. -#}
{% macro newest_version(relation, key_columns) -%}
    select *
    from
        (
            select
                *,
                row_number() over (
                    partition by {{ key_columns | join(', ') }} order by _load_id desc, _file desc, _line desc
                ) as _version_rank
            from {{ relation }}
        ) as ranked
    where _version_rank = 1
{%- endmacro %}
