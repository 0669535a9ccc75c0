with

    posts as (select * from {{ ref('stg_shop__social_posts') }}),

    final as (

        select
            post_date as date_day,
            platform,
            post_id,
            coalesce(impressions, 0) as impressions,
            coalesce(reach, 0) as reach,
            coalesce(engagements, 0) as engagements,
            coalesce(clicks, 0) as clicks,
            followers,
            {{ safe_divide('coalesce(engagements, 0)', 'impressions') }} as engagement_rate,
            {{ safe_divide('coalesce(clicks, 0)', 'impressions') }} as ctr
        from posts

    )

select *
from final
