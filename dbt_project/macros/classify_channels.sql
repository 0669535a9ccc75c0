{#- Select body: the channel group of each distinct (source, medium) of
    `source_mediums` (a CTE with columns source and medium), from the first
    matching rule of the channel_rules seed by priority; no match: no row
    (callers coalesce to 'Unassigned'). Rules are matched per distinct pair,
    not per row: a regex from a column is compiled for every row it meets. -#}
{% macro classify_channels(source_mediums) -%}
    select source, medium, channel_group
    from
        (
            select
                pairs.source,
                pairs.medium,
                channel_rules.channel_group,
                row_number() over (partition by pairs.source, pairs.medium order by channel_rules.priority) as rule_rank
            from (select distinct source, medium from {{ source_mediums }}) as pairs
            inner join
                {{ ref('channel_rules') }} as channel_rules
                on {{ regex_matches('lower(pairs.source)', 'channel_rules.source_pattern') }}
                and {{ regex_matches('lower(pairs.medium)', 'channel_rules.medium_pattern') }}
        ) as ranked
    where rule_rank = 1
{%- endmacro %}
