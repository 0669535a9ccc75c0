with

identified as (

    select
        anonymous_id,
        user_id,
        event_at,
        message_id
    from {{ ref('stg_tracking__events') }}
    where anonymous_id is not null
      and user_id is not null

),

-- the latest mapping wins when one anonymous id meets several users
ranked as (

    select
        *,
        row_number() over (partition by anonymous_id order by event_at desc, message_id desc) as recency_rank
    from identified

),

final as (

    select
        anonymous_id,
        user_id as person_id
    from ranked
    where recency_rank = 1

)

select * from final
