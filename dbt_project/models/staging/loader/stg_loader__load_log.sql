with

    source as (select * from {{ source('loader', 'load_log') }}),

    final as (

        select
            load_id,
            source,
            path,
            size_bytes,
            mtime as file_modified_at,
            sha256,
            loaded_at,
            rows_loaded,
            rows_rejected,
            duplicate_rows,
            error,
            error is not null and error <> 'empty file' as is_file_rejected
        from source

    )

select *
from final
