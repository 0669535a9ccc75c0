with

    load_log as (select * from {{ ref('stg_loader__load_log') }}),

    sources as (

        {%- for source in var('ecom__landing_sources') %}
            select '{{ source }}' as source{{ " union all" if not loop.last }}
        {%- endfor %}

    ),

    per_source as (

        select
            source,
            sum(case when is_file_rejected then 0 else 1 end) as files_loaded,
            sum(case when is_file_rejected then 1 else 0 end) as files_rejected,
            sum(rows_loaded) as rows_loaded,
            sum(rows_rejected) as rows_rejected,
            sum(duplicate_rows) as duplicate_rows,
            max(loaded_at) as last_loaded_at,
            max(load_id) as last_load_id
        from load_log
        group by source

    ),

    final as (

        select
            sources.source,
            cast(coalesce(per_source.files_loaded, 0) as bigint) as files_loaded,
            cast(coalesce(per_source.files_rejected, 0) as bigint) as files_rejected,
            cast(coalesce(per_source.rows_loaded, 0) as bigint) as rows_loaded,
            cast(coalesce(per_source.rows_rejected, 0) as bigint) as rows_rejected,
            cast(coalesce(per_source.duplicate_rows, 0) as bigint) as duplicate_rows,
            per_source.last_loaded_at,
            per_source.last_load_id
        from sources
        left join per_source on per_source.source = sources.source

    )

select *
from final
