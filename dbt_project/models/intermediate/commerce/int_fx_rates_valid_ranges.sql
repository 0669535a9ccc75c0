with

rates as (

    select
        cast(rate_date as date) as rate_date,
        upper(currency) as currency,
        cast(usd_per_unit as double) as usd_per_unit
    from {{ ref('fx_rates') }}

),

final as (

    select
        currency,
        usd_per_unit,
        rate_date as valid_from,
        -- a day without a rate (weekends, holidays) uses the nearest earlier one
        lead(rate_date) over (partition by currency order by rate_date) as valid_to
    from rates

)

select * from final
