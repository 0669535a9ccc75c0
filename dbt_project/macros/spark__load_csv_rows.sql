{#- Spark only: dbt-spark's seed loader looks up each column's type once per
    cell in Jinja, which takes minutes for the ECB fx_rates seed (7k days x
    42 columns). The same insert statements, with each column's cast worked
    out once. dbt uses a root project's adapter macro before the adapter's. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set casts = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
        {%- do casts.append('cast(' ~ get_binding_char() ~ ' as ' ~ type ~ ')') -%}
    {%- endfor -%}
    {%- set row_sql = '(' ~ casts | join(', ') ~ ')' -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set bindings = [] -%}
        {%- set row_sqls = [] -%}
        {%- for row in chunk -%}
            {%- do bindings.extend(row) -%}
            {%- do row_sqls.append(row_sql) -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values\n' ~ row_sqls | join(',\n') -%}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
