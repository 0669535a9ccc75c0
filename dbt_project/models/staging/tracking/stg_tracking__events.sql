{#- Reads the columns the loader extracted from each line (no JSON is parsed
    here). Materialized, not a view: four models read it, and each read of a
    view would rank every copy of every message again. Incremental by
    message_id (macro incremental_by_key; Spark: docs/spark.md, Engine
    details): a run re-stages only the messageIds with a copy in a load
    newer than this table's newest, ranking all their copies again, so a late
    copy received earlier still wins, as in a full refresh; a backfill (vars
    ecom__backfill_start/_end) also re-stages every message in its window.
    Tag daily_partitioned: a Dagster asset with daily partitions. -#}
{{ incremental_by_key('message_id') }}
{{ config(tags=['daily_partitioned']) }}

{#- An incremental run re-stages every messageId with a copy in a load newer
    than this table's newest (all its copies ranked again), and in a backfill
    window (vars ecom__backfill_start/_end) every message with a copy in it. -#}
{%- set restaged_messages -%}
    message_id in (
        select message_id from {{ source('tracking', 'events') }}
        where {{ newer_than_stored('_load_id', 'last_load_id') }}
           or {{ in_backfill_window('event_at') }}
    )
{%- endset %}

with

    -- Each wide relation below is read once: DuckDB materializes a CTE that is
    -- referenced twice, and a materialized copy of every wide row cost more than
    -- the rest of the model. The ranking and the name matching work on narrow
    -- CTEs of key columns.
    events as (

        select *
        from {{ source('tracking', 'events') }}
        {% if is_incremental() %} where {{ restaged_messages }} {% endif %}

    ),

    delivery_keys as (

        select message_id, event, received_at, _load_id, _file, _line
        from {{ source('tracking', 'events') }}
        {% if is_incremental() %} where {{ restaged_messages }} {% endif %}

    ),

    event_name_aliases as (select * from {{ ref('event_name_aliases') }}),

    -- the same messageId delivered twice is one event: the earliest receivedAt
    -- (then the earliest load, file and line) wins. Most messages have one copy:
    -- only messageIds with several are ranked, on their key columns (ranking every
    -- row and joining every row back cost 25 s of 33 at 5M events)
    repeated_messages as (

        select message_id, max(_load_id) as last_load_id from delivery_keys group by message_id having count(*) > 1

    ),

    delivery_ranks as (

        select
            delivery_keys.message_id,
            delivery_keys._load_id,
            delivery_keys._file,
            delivery_keys._line,
            repeated_messages.last_load_id,
            row_number() over (
                partition by delivery_keys.message_id
                order by
                    delivery_keys.received_at nulls last,
                    delivery_keys._load_id,
                    delivery_keys._file,
                    delivery_keys._line
            ) as delivery_number
        from delivery_keys
        inner join repeated_messages on repeated_messages.message_id = delivery_keys.message_id

    ),

    winning_copies as (select * from delivery_ranks where delivery_number = 1),

    deduplicated as (

        select
            events.*,
            -- the newest load with any copy of this message: the incremental watermark
            coalesce(winning_copies.last_load_id, events._load_id) as last_load_id,
            -- raw rows loaded before the loader trimmed them: "" and "  " are absent here too
            {{ blank_as_null('events.event') }} as event_name_as_sent,
            coalesce(events.page_url, events.properties_url) as any_page_url
        from events
        left join winning_copies on winning_copies.message_id = events.message_id
        -- a message with one copy, or the winning copy of a repeated one
        where
            winning_copies.message_id is null
            or (
                winning_copies._load_id = events._load_id
                and winning_copies._file = events._file
                and winning_copies._line = events._line
            )

    ),

    -- spec v1 and variant names (other case, spacing, snake_case) count as
    -- their v2 name (seed event_name_aliases); a name with no alias is kept.
    -- Matched once per distinct name, not per event (a regex per row).
    aliased_event_names as (

        select event_names.event_name_as_sent, event_name_aliases.event_name as aliased_event_name
        from (select distinct {{ blank_as_null('event') }} as event_name_as_sent from delivery_keys) as event_names
        inner join
            event_name_aliases
            on event_name_aliases.alias = {{ normalized_event_name('event_names.event_name_as_sent') }}

    ),

    named as (

        select
            deduplicated.*,
            aliased_event_names.aliased_event_name,
            -- the page fields as sent, each sanitized once below (macro sanitized_url)
            coalesce(deduplicated.page_path, deduplicated.properties_path) as page_path_as_sent,
            -- a server library's page call carries the page in properties, not context.page
            coalesce(
                deduplicated.page_referrer,
                case when deduplicated.type in ('page', 'screen') then deduplicated.properties_referrer end
            ) as page_referrer_as_sent,
            -- UTM tags: context.campaign, which analytics.js fills from the page URL;
            -- otherwise the URL's own (a server library's page call sends only the URL)
            {%- for field in ['utm_source', 'utm_medium', 'utm_campaign'] %}
                coalesce(
                    deduplicated.{{ field }},
                    case
                        when deduplicated.any_page_url like '%utm_%'
                        then {{ blank_as_null(url_query_parameter('deduplicated.any_page_url', field)) }}
                    end
                ) as {{ field }}_as_sent{{ ',' if not loop.last }}
            {%- endfor %}
        from deduplicated
        left join aliased_event_names on aliased_event_names.event_name_as_sent = deduplicated.event_name_as_sent

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
            -- no personal data in URLs (macro sanitized_url): scheme, host, path and the
            -- allowed query parameters (var ecom__url_parameters_kept); emails, phones and
            -- IPv4 addresses masked. The UTM tags were read from the URL as sent (named).
            {{ sanitized_url('page_path_as_sent') }} as page_path,
            {{ sanitized_url('any_page_url') }} as page_url,
            {{ sanitized_url('page_referrer_as_sent') }} as page_referrer,
            coalesce(
                page_title, case when type in ('page', 'screen') then properties_title end, screen_name
            ) as page_title,
            -- an email address in a UTM tag is masked; ids and dates stay (attribution
            -- joins campaigns to marketing_spend)
            {%- for field in ['utm_source', 'utm_medium', 'utm_campaign'] %}
                lower({{ masked_email(field ~ '_as_sent') }}) as {{ field }},
            {%- endfor %}
            user_agent,
            lower(device_type) as device_type,
            device_model,
            os_name,
            library_name,
            library_version,
            message_channel,
            -- spec v1 spelled these properties.id (on product events) and properties.orderId
            coalesce(product_id, case when aliased_event_name like 'Product %' then v1_product_id end) as product_id,
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

    final as ({{ rows_to_write('recomputed') }})

select *
from final
