{#- Reads the columns the loader extracted from each line (no JSON is parsed
    here). Materialized, not a view: four models read it, and each read of a
    view would rank every copy of every message again. Incremental (delete+insert by
    message_id on DuckDB; on Spark insert_overwrite of key buckets, macros
    rows_to_write and key_bucket_partitions): a run re-stages only the messageIds with a copy in a load
    newer than this table's newest, ranking all their copies again, so a late
    copy received earlier still wins, as in a full refresh; a backfill (vars
    ecom__backfill_start/_end) also re-stages every message in its window.
    Tag daily_partitioned: a Dagster asset with daily partitions. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy=incremental_strategy_for_target(),
        unique_key='message_id',
        partition_by=key_bucket_partition_by(),
        tblproperties=key_bucket_tblproperties(),
        on_schema_change='fail',
        tags=['daily_partitioned'],
    )
}}

with

source as (

    select * from {{ source('tracking', 'events') }}
    {% if is_incremental() %}
    where message_id in (
        select message_id from {{ source('tracking', 'events') }}
        where {{ newer_than_stored('_load_id', 'last_load_id') }}
           -- a backfill re-stages every message with a copy in its window
           or {{ in_backfill_window('event_at') }}
    )
    {% endif %}

),

event_name_aliases as (

    select * from {{ ref('event_name_aliases') }}

),

-- the same messageId delivered twice is one event: the earliest receivedAt
-- (then the earliest load, file and line) wins; ranked on the key columns
-- only, then joined back (a window over the wide rows is ~5x slower)
delivery_ranks as (

    select
        message_id,
        _load_id,
        _file,
        _line,
        row_number() over (
            partition by message_id
            order by received_at nulls last, _load_id, _file, _line
        ) as delivery_number,
        max(_load_id) over (partition by message_id) as last_load_id
    from source

),

deduplicated as (

    select
        source.*,
        delivery_ranks.last_load_id
    from source
    inner join delivery_ranks
        on delivery_ranks._load_id = source._load_id
        and delivery_ranks._file = source._file
        and delivery_ranks._line = source._line
    where delivery_ranks.delivery_number = 1

),

cleaned as (

    select
        deduplicated.*,
        -- raw rows loaded before the loader trimmed them: "" and "  " are absent here too
        {{ blank_as_null('deduplicated.event') }} as event_name_as_sent,
        coalesce(deduplicated.page_url, deduplicated.properties_url) as any_page_url
    from deduplicated

),

named as (

    select
        cleaned.*,
        -- spec v1 and variant names (other case, spacing, snake_case) count as
        -- their v2 name (seed event_name_aliases); a name with no alias is kept
        event_name_aliases.event_name as aliased_event_name
    from cleaned
    left join event_name_aliases
        on event_name_aliases.alias = {{ normalized_event_name('cleaned.event_name_as_sent') }}

),

recomputed as (

    select
        message_id,
        type as event_type,
        -- page and screen calls have no event name: name them for funnels and counts
        coalesce(
            aliased_event_name,
            event_name_as_sent,
            case when type in ('page', 'screen') then 'Page Viewed' end,
            type
        ) as event_name,
        event_name_as_sent,
        event_at,
        received_at,
        {{ blank_as_null('anonymous_id') }} as anonymous_id,
        {{ blank_as_null('user_id') }} as user_id,
        previous_id,
        coalesce(page_path, properties_path) as page_path,
        any_page_url as page_url,
        -- a server library's page call carries the page in properties, not context.page
        coalesce(page_referrer, case when type in ('page', 'screen') then properties_referrer end) as page_referrer,
        coalesce(page_title, case when type in ('page', 'screen') then properties_title end, screen_name) as page_title,
        -- UTM tags: context.campaign, which analytics.js fills from the page URL;
        -- otherwise the URL's own (a server library's page call sends only the URL)
        {%- for field in ['utm_source', 'utm_medium', 'utm_campaign'] %}
        lower(coalesce(
            {{ field }},
            case when any_page_url like '%utm_%'
                then {{ blank_as_null(url_query_parameter('any_page_url', field)) }} end
        )) as {{ field }},
        {%- endfor %}
        user_agent,
        lower(device_type) as device_type,
        device_model,
        os_name,
        library_name,
        library_version,
        message_channel,
        -- spec v1 spelled these properties.id (on product events) and properties.orderId
        coalesce(
            product_id,
            case when aliased_event_name like 'Product %' then v1_product_id end
        ) as product_id,
        sku,
        {{ dbt.safe_cast('price', 'decimal(18, 2)') }} as price,
        {{ dbt.safe_cast('quantity', 'integer') }} as quantity,
        coalesce(order_id, v1_order_id) as order_id,
        {{ dbt.safe_cast('revenue', 'decimal(18, 2)') }} as revenue,
        {{ dbt.safe_cast('total', 'decimal(18, 2)') }} as total,
        {{ dbt.safe_cast('discount', 'decimal(18, 2)') }} as discount,
        upper(currency) as currency,
        properties,
        type in ('page', 'screen') as is_page_view,
        type = 'track' as is_track,
        _file as source_file,
        _line as source_line,
        _load_id as load_id,
        -- the newest load with any copy of this message: the incremental watermark
        last_load_id
        {{- key_bucket_column('message_id') }}
    from named

),

final as (

    {{ rows_to_write('recomputed') }}

)

select * from final
