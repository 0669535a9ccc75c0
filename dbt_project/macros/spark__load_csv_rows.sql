{#- Spark only: dbt-spark's seed loader sends one `cast(? as type)` per cell and
    looks up the column's type in Jinja for each cell: the ECB fx_rates seed
    (7k days x 42 columns) took over 10 minutes, and Spark's parser alone ~25 s
    on 300k cast expressions. Here each row travels as one text value, its
    cells joined by a separator no seed holds, and one select per batch splits
    and casts them (~2 s for that seed). An empty cell is null, as in dbt's
    seeds. dbt uses a root project's adapter macro before the adapter's. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set separator = '~|~' -%}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set casts = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
        {%- do casts.append('cast(nullif(cells[' ~ loop.index0 ~ "], '') as " ~ type ~ ')') -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set bindings = [] -%}
        {%- set placeholders = [] -%}
        {%- for row in chunk -%}
            {%- set cells = [] -%}
            {%- for value in row -%} {%- do cells.append('' if value is none else value | string) -%} {%- endfor -%}
            {%- do bindings.append(cells | join(separator)) -%}
            {%- do placeholders.append('(' ~ get_binding_char() ~ ')') -%}
        {%- endfor -%}
        {%- set sql -%}
            insert into {{ this.render() }}
            select {{ casts | join(', ') }}
            from (
                select split(packed_row, '~[|]~', -1) as cells
                from values {{ placeholders | join(', ') }} as packed_rows(packed_row)
            ) as split_rows
        {%- endset -%}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%} {%- do statements.append(sql) -%} {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
