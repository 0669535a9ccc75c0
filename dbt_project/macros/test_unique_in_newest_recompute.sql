{#- Fails for every value of `column_name` that occurs more than once among
    the rows of the model's newest recompute: the rows whose `recompute_column`
    (sessionized_at) is the table's newest. After a full refresh that is every
    row (one run stamps them all); after an incremental run, the rows it
    wrote. That is where a duplicate can come from: an incremental run
    deletes every stored row of each key it writes (delete+insert by the key,
    macro incremental_by_key), so a written row cannot duplicate a stored one.
    The plain unique test groups the whole table: seconds on a multi-million
    row model for every one-day increment.

    Spark re-sessionizes every event and keeps the old stamp of a row that
    came out the same (macro scoped_resessionization), so there the whole
    table is tested. -#}
{% test unique_in_newest_recompute(model, column_name, recompute_column='sessionized_at') %}
    select {{ column_name }} as unique_field, count(*) as n_records
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if scoped_resessionization() %}
            and {{ recompute_column }} = (select max({{ recompute_column }}) from {{ model }})
        {%- endif %}
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}
