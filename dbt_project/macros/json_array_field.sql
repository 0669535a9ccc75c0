{#- An array (list) of text: for each element of the JSON array at `array_path` (e.g. '$.products')
    of a JSON text column, the first of `fields` the element has (e.g. ['product_id', 'id']: spec v2, then v1), in
    the array's order; an element with none of them gives null. Empty or null when there is no array. -#}
{% macro json_array_field(json_column, array_path, fields) -%}
    {{ return(adapter.dispatch('json_array_field', 'ecom_analytics')(json_column, array_path, fields)) }}
{%- endmacro %}

{% macro default__json_array_field(json_column, array_path, fields) -%}
    {{ exceptions.raise_compiler_error('json_array_field: no variant for adapter ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__json_array_field(json_column, array_path, fields) -%}
    list_transform(
        json_extract({{ json_column }}, '{{ array_path }}[*]'),
        lambda element:coalesce(
            {%- for field in fields %}
                json_extract_string(element, '$.{{ field }}'){{ ',' if not loop.last }}
            {%- endfor %}
        )
    )
{%- endmacro %}

{#- from_json into array<string> keeps each object element as its JSON text -#}
{% macro spark__json_array_field(json_column, array_path, fields) -%}
    transform(
        from_json(get_json_object({{ json_column }}, '{{ array_path }}'), 'array<string>'),
        element -> coalesce(
            {%- for field in fields %}get_json_object(element, '$.{{ field }}'){{ ',' if not loop.last }}{%- endfor %}
        )
    )
{%- endmacro %}
