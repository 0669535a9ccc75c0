{#- Post-hook of int_fx_rates_valid_ranges: a landed fx_rates/ row quoted in a
    currency that is neither the reporting currency nor one with an ECB rate on
    that day cannot be converted; stop the build naming the rows' currency,
    quote currency and first date, and what to land instead. -#}
{% macro raise_if_landed_fx_rates_unresolved(relation) %}
    {%- if execute -%}
        {%- set unresolved_sql -%}
            select
                currency,
                quote_currency,
                cast(min(valid_from) as {{ dbt.type_string() }}) as first_date,
                count(*) as rates
            from {{ relation }}
            where rate_source = 'landed'
                and reporting_per_unit is null
            group by currency, quote_currency
            order by 3, 1, 2
        {%- endset -%}
        {%- set unresolved = run_query(unresolved_sql) -%}
        {%- if unresolved.rows | length > 0 -%}
            {%- set lines = [] -%}
            {%- for row in unresolved.rows -%}
                {%- do lines.append(
                    '  - ' ~ row[0] ~ ' quoted in ' ~ row[1] ~ ': ' ~ row[3] ~ ' rate(s) from ' ~ row[2]) -%}
            {%- endfor -%}
            {%- do exceptions.raise_compiler_error(
                'Landed fx_rates/ rows whose quote_currency has no rate on their rate_date:\n'
                ~ lines | join('\n')
                ~ '\nQuote landed rates in the reporting currency ' ~ var('reporting_currency')
                ~ ', in EUR, or in a currency of seeds/fx_rates.csv with an ECB rate on that day'
                ~ ' (docs/design/landing-contract.md).') -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
