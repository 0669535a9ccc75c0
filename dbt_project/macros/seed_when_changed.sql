{#- A seed is loaded again only when its file or its settings changed since the stored table was
    loaded, or on --full-refresh: re-reading fx_rates.csv (1.7 MB, parsed row by row in Python by
    dbt before its load) cost up to 2.7 s of every run. The stored table's comment holds the md5 of
    the file, and of the seed's settings and dbt's version, that it was loaded from; a table with
    another comment or none is loaded again. dbt's own checksum cannot serve: above 1 MiB it is the
    file's path. DuckDB only; other engines load every seed every run, as dbt does. -#}
{% materialization seed, adapter='duckdb' %}
    {%- set fingerprint = seed_fingerprint(model) -%}
    {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=model['alias']) -%}
    {%- if old_relation is not none and old_relation.is_table and not should_full_refresh()
        and stored_seed_fingerprint(old_relation) == fingerprint -%}
        {#- dbt's seed runner reads the rows it loaded from this result: none -#}
        {%- do store_result('agate_table', response='OK', agate_table=run_query('select * from ' ~ old_relation.render() ~ ' limit 0')) -%}
        {% call noop_statement('main', 'UNCHANGED', 'UNCHANGED', 0) -%}
        -- {{ this.render() }} holds this file's rows already
        {%- endcall %}
        {{ return({'relations': [this.incorporate(type='table')]}) }}
    {%- endif -%}
    {%- set result = dbt.materialization_seed_default() -%}
    {% call statement('seed_fingerprint') -%}
        comment on table {{ this.render() }} is '{{ fingerprint }}'
    {%- endcall %}
    {{ adapter.commit() }}
    {{ return(result) }}
{% endmaterialization %}

{% macro seed_fingerprint(model) -%}
    {%- set file_md5 = run_query(
        "select md5(content) from read_text('" ~ adapter.get_seed_file_path(model) | replace("'", "''") ~ "')"
    ).columns[0].values()[0] -%}
    {#- the settings (column types, quoting, ...) and dbt's version shape the table as much as the file -#}
    {{- return('seed ' ~ file_md5 ~ ' ' ~ local_md5(tojson(model['config']) ~ dbt_version)) -}}
{%- endmacro %}

{% macro stored_seed_fingerprint(relation) -%}
    {%- set rows = run_query(
        "select comment from duckdb_tables() where database_name = '" ~ relation.database
        ~ "' and schema_name = '" ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'"
    ).columns[0].values() -%}
    {{- return(rows[0] if rows else none) -}}
{%- endmacro %}
