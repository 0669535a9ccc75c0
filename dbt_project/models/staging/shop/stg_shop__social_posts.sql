with

    source as (select * from {{ source('shop', 'social_posts') }}),

    latest as (

        -- the key as the model outputs it: 'Instagram' and 'instagram' are one platform
        {{ newest_version('source', ['cast(date as date)', 'lower(trim(platform))', 'post_id']) }}

    ),

    final as (

        select
            cast(date as date) as post_date,
            lower(trim(platform)) as platform,
            post_id,
            cast(impressions as bigint) as impressions,
            cast(reach as bigint) as reach,
            cast(engagements as bigint) as engagements,
            cast(clicks as bigint) as clicks,
            cast(followers as bigint) as followers
        from latest

    )

select *
from final
