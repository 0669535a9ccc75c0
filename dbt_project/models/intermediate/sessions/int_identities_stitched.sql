{{ config(tags=['daily_partitioned']) }}

with

    events as (

        select message_id, event_type, event_at, anonymous_id, user_id, previous_id
        from {{ ref('stg_tracking__events') }}

    ),

    links as (

        -- any event that carries both ids ties the visitor to the user
        select anonymous_id, user_id, event_at, message_id
        from events
        where anonymous_id is not null and user_id is not null

        union all

        -- alias: the previous id (an anonymous id) now belongs to the user id
        select previous_id as anonymous_id, user_id, event_at, message_id
        from events
        where event_type = 'alias' and previous_id is not null and user_id is not null

    ),

    -- the latest mapping wins when one anonymous id meets several users
    ranked as (

        select *, row_number() over (partition by anonymous_id order by event_at desc, message_id desc) as recency_rank
        from links

    ),

    final as (select anonymous_id, user_id, event_at as linked_at from ranked where recency_rank = 1)

select *
from final
