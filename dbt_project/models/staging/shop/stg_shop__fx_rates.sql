with

    source as (select * from {{ source('shop', 'fx_rates') }}),

    -- restatements: the newest version wins per day and currency, however the
    -- file wrote them (gbp / GBP, 2026-03-04 / 2026-03-04 00:00)
    latest as ({{ newest_version('source', ['cast(rate_date as date)', 'upper(currency)']) }}),

    final as (

        select
            cast(rate_date as date) as rate_date,
            upper(currency) as currency,
            upper(quote_currency) as quote_currency,
            -- 1 unit of currency = rate units of quote_currency on rate_date
            cast(rate as double) as rate
        from latest

    )

select *
from final
