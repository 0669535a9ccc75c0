{{ config(post_hook="{{ raise_if_landed_fx_rates_unresolved(this) }}") }}

{#- The seed is the ECB file's shape: one row per ECB business day, a column per
    currency (units per 1 EUR). Every column but rate_date is a currency, read
    from the built seed so that a regenerated seed with a new currency needs no
    edit here. -#}
{%- set currency_columns = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(ref('fx_rates')) -%}
        {%- if column.name | lower != 'rate_date' -%}
            {%- do currency_columns.append(column.name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- set reporting_currency = var('reporting_currency') -%}

with

    ecb_wide as (select * from {{ ref('fx_rates') }}),

    landed as (select * from {{ ref('stg_shop__fx_rates') }}),

    ecb_days as (

        -- every ECB day, N/A included (an N/A ends the currency's previous rate)
        {%- for column in currency_columns %}
            select
                cast(rate_date as date) as rate_date,
                '{{ column | upper }}' as currency,
                cast({{ column }} as double) as units_per_eur
            from ecb_wide {{ 'union all' if not loop.last }}
        {%- endfor %}
        {%- if currency_columns %}
            union all
        {%- endif %}
        select cast(rate_date as date) as rate_date, 'EUR' as currency, cast(1.0 as double) as units_per_eur
        from ecb_wide

    ),

    reporting_per_eur as (

        select rate_date, units_per_eur as reporting_per_eur
        from ecb_days
        where currency = '{{ reporting_currency }}' and units_per_eur is not null

    ),

    ecb_cross as (

        -- cross rate through the euro on the same ECB day:
        -- reporting per unit = (reporting per EUR) / (currency per EUR);
        -- null on an ECB day without a rate for either currency
        select
            ecb_days.rate_date,
            ecb_days.currency,
            reporting_per_eur.reporting_per_eur / ecb_days.units_per_eur as reporting_per_unit
        from ecb_days
        left join reporting_per_eur on reporting_per_eur.rate_date = ecb_days.rate_date

    ),

    ecb_ends as (

        select
            rate_date,
            currency,
            reporting_per_unit,
            -- the next ECB day without a cross rate (the currency or the reporting
            -- currency suspended or retired there, e.g. ISK 2008-2017): this rate
            -- stops there instead of running across the gap
            case
                when lead(reporting_per_unit) over (partition by currency order by rate_date) is null
                then lead(rate_date) over (partition by currency order by rate_date)
            end as ecb_valid_to
        from ecb_cross

    ),

    ecb_rates as (

        select rate_date, currency, reporting_per_unit, ecb_valid_to from ecb_ends where reporting_per_unit is not null

    ),

    ecb_ranges as (

        select
            currency,
            reporting_per_unit,
            rate_date as valid_from,
            coalesce(ecb_valid_to, lead(rate_date) over (partition by currency order by rate_date)) as valid_to
        from ecb_rates

    ),

    landed_rates as (

        -- a landed rate quoted in another currency than the reporting one goes
        -- through the ECB rate of that quote currency in force on the same day
        select
            landed.rate_date,
            landed.currency,
            case
                when landed.quote_currency = '{{ reporting_currency }}'
                then landed.rate
                else landed.rate * quote_fx.reporting_per_unit
            end as reporting_per_unit,
            landed.quote_currency
        from landed {{ left_join_fx_rate('ecb_ranges', 'quote_fx', 'landed.quote_currency', 'landed.rate_date') }}
        where landed.currency != '{{ reporting_currency }}'

    ),

    unioned as (

        select
            rate_date,
            currency,
            reporting_per_unit,
            cast(null as date) as ecb_valid_to,
            'landed' as rate_source,
            quote_currency
        from landed_rates

        union all

        -- the shop's own rate wins over the ECB's for the same currency and day
        select
            ecb_rates.rate_date,
            ecb_rates.currency,
            ecb_rates.reporting_per_unit,
            ecb_rates.ecb_valid_to,
            'ecb' as rate_source,
            cast(null as {{ dbt.type_string() }}) as quote_currency
        from ecb_rates
        left join
            landed_rates on landed_rates.currency = ecb_rates.currency and landed_rates.rate_date = ecb_rates.rate_date
        where landed_rates.currency is null and ecb_rates.currency != '{{ reporting_currency }}'

    ),

    with_next as (

        select *, lead(rate_date) over (partition by currency order by rate_date) as next_rate_date from unioned

    ),

    final as (

        select
            currency,
            reporting_per_unit,
            rate_date as valid_from,
            -- a day without a rate (weekends, holidays) uses the nearest earlier
            -- one; an ECB rate stops at the ECB's next day without one
            case
                when ecb_valid_to is not null and (next_rate_date is null or ecb_valid_to < next_rate_date)
                then ecb_valid_to
                else next_rate_date
            end as valid_to,
            rate_source,
            quote_currency
        from with_next

    )

select *
from final
