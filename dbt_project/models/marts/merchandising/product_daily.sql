with

    product_events as (select * from {{ ref('merchandising__product_events_in_sessions') }}),

    order_items as (select * from {{ ref('fct_order_items') }} where not is_cancelled),

    orders as (select order_id, session_id from {{ ref('fct_orders') }} where not is_cancelled),

    refunds as (select * from {{ ref('fct_refunds') }} where not is_order_cancelled and product_id is not null),

    inventory as (select * from {{ ref('inventory_daily') }}),

    -- events on the date of the event
    event_days as (

        select
            event_date as date_day,
            product_id,
            sum(case when event_name = 'Product List Viewed' then 1 else 0 end) as list_views,
            sum(case when event_name = 'Product Clicked' then 1 else 0 end) as product_clicks,
            sum(case when event_name = 'Product Viewed' then 1 else 0 end) as product_views,
            sum(case when event_name = 'Product Added' then 1 else 0 end) as adds_to_cart,
            sum(case when event_name = 'Product Removed' then 1 else 0 end) as removes_from_cart,
            sum(case when event_name = 'Checkout Started' then 1 else 0 end) as checkouts_started
        from product_events
        group by event_date, product_id

    ),

    -- the rates' sessions: what each session did with each product, on the session's date
    session_products as (

        select
            session_id,
            session_date,
            product_id,
            max(case when event_name = 'Product Viewed' then 1 else 0 end) as has_view,
            max(case when event_name = 'Product Added' then 1 else 0 end) as has_add
        from product_events
        where event_name in ('Product Viewed', 'Product Added')
        group by session_id, session_date, product_id

    ),

    -- a session bought the product when an order linked to it has a line of the product
    session_purchases as (

        select distinct orders.session_id, order_items.product_id
        from order_items
        inner join orders on orders.order_id = order_items.order_id
        where orders.session_id is not null

    ),

    session_days as (

        select
            session_products.session_date as date_day,
            session_products.product_id,
            sum(session_products.has_view) as sessions_with_view,
            sum(session_products.has_view * session_products.has_add) as sessions_with_view_and_add,
            sum(session_products.has_add) as sessions_with_add,
            sum(
                case when session_products.has_add = 1 and session_purchases.session_id is not null then 1 else 0 end
            ) as sessions_with_add_and_purchase
        from session_products
        left join
            session_purchases
            on session_purchases.session_id = session_products.session_id
            and session_purchases.product_id = session_products.product_id
        group by session_products.session_date, session_products.product_id

    ),

    -- money from the order lines, on the order date (reconciles with fct_order_items)
    order_days as (

        select
            order_date as date_day,
            product_id,
            count(distinct order_id) as orders,
            sum(quantity) as units_sold,
            sum(gmv) as gmv,
            sum(discount) as discounts,
            sum(net_sales) as net_sales
        from order_items
        group by order_date, product_id

    ),

    -- refunds on the refund date
    refund_days as (

        select refund_date as date_day, product_id, sum(amount) as refunds, sum(coalesce(quantity, 0)) as units_refunded
        from refunds
        group by refund_date, product_id

    ),

    inventory_days as (select snapshot_date as date_day, product_id, on_hand, is_stockout from inventory),

    -- lost sales on a stock-out day d: the product's net sales on its in-stock days among
    -- the 28 days d-28 .. d-1, divided by the number of those in-stock days (null when none)
    trailing_windows as (

        select
            stockouts.date_day,
            stockouts.product_id,
            count(in_stock.date_day) as trailing_in_stock_days,
            sum(coalesce(order_days.net_sales, 0)) as trailing_in_stock_net_sales
        from inventory_days as stockouts
        left join
            inventory_days as in_stock
            on in_stock.product_id = stockouts.product_id
            and not in_stock.is_stockout
            and in_stock.date_day >= cast({{ dbt.dateadd('day', -28, 'stockouts.date_day') }} as date)
            and in_stock.date_day < stockouts.date_day
        left join order_days on order_days.product_id = in_stock.product_id and order_days.date_day = in_stock.date_day
        where stockouts.is_stockout
        group by stockouts.date_day, stockouts.product_id

    ),

    product_days as (

        select date_day, product_id
        from event_days
        union
        select date_day, product_id
        from session_days
        union
        select date_day, product_id
        from order_days
        union
        select date_day, product_id
        from refund_days
        union
        select date_day, product_id
        from inventory_days

    ),

    final as (

        select
            cast(product_days.date_day as date) as date_day,
            product_days.product_id,
            cast(coalesce(event_days.list_views, 0) as bigint) as list_views,
            cast(coalesce(event_days.product_clicks, 0) as bigint) as product_clicks,
            cast(coalesce(event_days.product_views, 0) as bigint) as product_views,
            cast(coalesce(event_days.adds_to_cart, 0) as bigint) as adds_to_cart,
            cast(coalesce(event_days.removes_from_cart, 0) as bigint) as removes_from_cart,
            cast(coalesce(event_days.checkouts_started, 0) as bigint) as checkouts_started,
            cast(coalesce(order_days.orders, 0) as bigint) as orders,
            cast(coalesce(order_days.units_sold, 0) as bigint) as units_sold,
            cast(coalesce(order_days.gmv, 0) as decimal(18, 2)) as gmv,
            cast(coalesce(order_days.discounts, 0) as decimal(18, 2)) as discounts,
            cast(coalesce(order_days.net_sales, 0) as decimal(18, 2)) as net_sales,
            cast(coalesce(refund_days.refunds, 0) as decimal(18, 2)) as refunds,
            cast(coalesce(refund_days.units_refunded, 0) as bigint) as units_refunded,
            cast(coalesce(session_days.sessions_with_view, 0) as bigint) as sessions_with_view,
            cast(coalesce(session_days.sessions_with_view_and_add, 0) as bigint) as sessions_with_view_and_add,
            cast(coalesce(session_days.sessions_with_add, 0) as bigint) as sessions_with_add,
            cast(coalesce(session_days.sessions_with_add_and_purchase, 0) as bigint) as sessions_with_add_and_purchase,
            {{ safe_divide('coalesce(session_days.sessions_with_view_and_add, 0)', 'coalesce(session_days.sessions_with_view, 0)') }}
            as view_to_cart_rate,
            {{ safe_divide('coalesce(session_days.sessions_with_add_and_purchase, 0)', 'coalesce(session_days.sessions_with_add, 0)') }}
            as cart_to_purchase_rate,
            cast(inventory_days.on_hand as bigint) as on_hand,
            inventory_days.is_stockout,
            cast(trailing_windows.trailing_in_stock_days as bigint) as trailing_in_stock_days,
            cast(
                case
                    when not coalesce(inventory_days.is_stockout, false)
                    then 0
                    -- rounded half away from zero to the cent in exact arithmetic (a division of
                    -- decimals is a double, and 57.225 as a double is 57.2249...)
                    when trailing_windows.trailing_in_stock_days > 0
                    then
                        sign(trailing_windows.trailing_in_stock_net_sales) * floor(
                            (
                                2 * abs(cast(trailing_windows.trailing_in_stock_net_sales * 100 as bigint))
                                + trailing_windows.trailing_in_stock_days
                            )
                            / (2 * trailing_windows.trailing_in_stock_days)
                        )
                        / 100
                end as decimal(18, 2)
            ) as estimated_lost_sales
        from product_days
        left join
            event_days
            on event_days.date_day = product_days.date_day
            and event_days.product_id = product_days.product_id
        left join
            session_days
            on session_days.date_day = product_days.date_day
            and session_days.product_id = product_days.product_id
        left join
            order_days
            on order_days.date_day = product_days.date_day
            and order_days.product_id = product_days.product_id
        left join
            refund_days
            on refund_days.date_day = product_days.date_day
            and refund_days.product_id = product_days.product_id
        left join
            inventory_days
            on inventory_days.date_day = product_days.date_day
            and inventory_days.product_id = product_days.product_id
        left join
            trailing_windows
            on trailing_windows.date_day = product_days.date_day
            and trailing_windows.product_id = product_days.product_id

    )

select *
from final
