with

    session_events as (select * from {{ ref('merchandising__merchandising_events_in_sessions') }}),

    product_events as (

        select session_id, event_at
        from {{ ref('merchandising__product_events_in_sessions') }}
        where event_name = 'Product Viewed'

    ),

    searches as (

        select message_id, session_id, event_at, event_date, coalesce(search_term, '(not set)') as search_term
        from session_events
        where event_name = 'Products Searched'

    ),

    order_events as (select session_id, event_at from session_events where event_name = 'Order Completed'),

    -- a search is followed by a product view when the session views a product after it
    searches_followed as (

        select
            searches.message_id,
            searches.session_id,
            searches.event_date,
            searches.search_term,
            searches.event_at,
            max(case when product_events.session_id is not null then 1 else 0 end) as has_product_view_after
        from searches
        left join
            product_events
            on product_events.session_id = searches.session_id
            and product_events.event_at > searches.event_at
        group by searches.message_id, searches.session_id, searches.event_date, searches.search_term, searches.event_at

    ),

    -- a searching session converts after the term when it completes an order at or after its first search of it that
    -- day
    session_terms as (

        select session_id, event_date, search_term, min(event_at) as first_searched_at
        from searches
        group by session_id, event_date, search_term

    ),

    session_terms_converted as (

        select
            session_terms.event_date,
            session_terms.search_term,
            session_terms.session_id,
            max(case when order_events.session_id is not null then 1 else 0 end) as is_converted
        from session_terms
        left join
            order_events
            on order_events.session_id = session_terms.session_id
            and order_events.event_at >= session_terms.first_searched_at
        group by session_terms.event_date, session_terms.search_term, session_terms.session_id

    ),

    search_counts as (

        select
            event_date as date_day,
            search_term,
            count(*) as searches,
            sum(1 - has_product_view_after) as searches_without_product_view
        from searches_followed
        group by event_date, search_term

    ),

    session_counts as (

        select
            event_date as date_day, search_term, count(*) as searching_sessions, sum(is_converted) as converted_sessions
        from session_terms_converted
        group by event_date, search_term

    ),

    final as (

        select
            search_counts.date_day,
            search_counts.search_term,
            cast(search_counts.searches as bigint) as searches,
            cast(search_counts.searches_without_product_view as bigint) as searches_without_product_view,
            {{ safe_divide('search_counts.searches_without_product_view', 'search_counts.searches') }}
            as no_product_view_rate,
            cast(session_counts.searching_sessions as bigint) as searching_sessions,
            cast(session_counts.converted_sessions as bigint) as converted_sessions,
            {{ safe_divide('session_counts.converted_sessions', 'session_counts.searching_sessions') }}
            as conversion_rate
        from search_counts
        inner join
            session_counts
            on session_counts.date_day = search_counts.date_day
            and session_counts.search_term = search_counts.search_term

    )

select *
from final
