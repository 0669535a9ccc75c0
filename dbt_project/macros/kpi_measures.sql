{#- The session and order measures of every KPI table, written once: each
    table groups fct_sessions / fct_orders by its own grain and selects these.
    The rates take the summed columns by name, so a table that re-aggregates
    a finer one (sum the counts, then divide) gets the same definition. -#}
{% macro session_counts() -%}
    count(*) as sessions,
    count(distinct person_id) as persons,
    sum(case when is_bounce then 1 else 0 end) as bounced_sessions,
    sum(case when is_engaged then 1 else 0 end) as engaged_sessions,
    sum(duration_seconds) as total_session_duration_seconds,
    sum(case when is_converted then 1 else 0 end) as converted_sessions,
    sum(case when has_product_added then 1 else 0 end) as cart_sessions,
    sum(case when has_product_added and not is_converted then 1 else 0 end) as abandoned_cart_sessions,
    sum(case when has_checkout_started then 1 else 0 end) as checkout_sessions,
    sum(case when has_checkout_started and not is_converted then 1 else 0 end) as abandoned_checkout_sessions,
    sum(case when device_category = 'mobile' then 1 else 0 end) as mobile_sessions
{%- endmacro %}

{#- Zero-filled counts and the rates over them; `alias` is the relation that
    holds session_counts() (null on an empty day). -#}
{% macro session_measures(alias) -%}
    cast(coalesce({{ alias }}.sessions, 0) as bigint) as sessions,
    cast(coalesce({{ alias }}.persons, 0) as bigint) as persons,
    cast(coalesce({{ alias }}.bounced_sessions, 0) as bigint) as bounced_sessions,
    cast(coalesce({{ alias }}.engaged_sessions, 0) as bigint) as engaged_sessions,
    cast(coalesce({{ alias }}.total_session_duration_seconds, 0) as decimal(18, 3)) as total_session_duration_seconds,
    cast(coalesce({{ alias }}.converted_sessions, 0) as bigint) as converted_sessions,
    cast(coalesce({{ alias }}.cart_sessions, 0) as bigint) as cart_sessions,
    cast(coalesce({{ alias }}.abandoned_cart_sessions, 0) as bigint) as abandoned_cart_sessions,
    cast(coalesce({{ alias }}.checkout_sessions, 0) as bigint) as checkout_sessions,
    cast(coalesce({{ alias }}.abandoned_checkout_sessions, 0) as bigint) as abandoned_checkout_sessions,
    cast(coalesce({{ alias }}.mobile_sessions, 0) as bigint) as mobile_sessions,
    {{ safe_divide('coalesce(' ~ alias ~ '.bounced_sessions, 0)', alias ~ '.sessions') }} as bounce_rate,
    {{ safe_divide('coalesce(' ~ alias ~ '.engaged_sessions, 0)', alias ~ '.sessions') }} as engagement_rate,
    {{ safe_divide('coalesce(' ~ alias ~ '.total_session_duration_seconds, 0)', alias ~ '.sessions') }}
    as avg_session_duration_seconds,
    {{ safe_divide('coalesce(' ~ alias ~ '.converted_sessions, 0)', alias ~ '.sessions') }} as conversion_rate,
    {{ safe_divide('coalesce(' ~ alias ~ '.abandoned_cart_sessions, 0)', alias ~ '.cart_sessions') }}
    as cart_abandonment_rate,
    {{ safe_divide('coalesce(' ~ alias ~ '.abandoned_checkout_sessions, 0)', alias ~ '.checkout_sessions') }}
    as checkout_abandonment_rate,
    {{ safe_divide('coalesce(' ~ alias ~ '.mobile_sessions, 0)', alias ~ '.sessions') }} as mobile_traffic_share
{%- endmacro %}

{#- Over non-cancelled fct_orders rows. -#}
{% macro order_counts() -%}
    count(*) as orders,
    sum(units) as units_sold,
    sum(gmv) as gmv,
    sum(discount_total) as discounts,
    sum(net_sales) as net_sales
{%- endmacro %}

{% macro order_measures(alias) -%}
    cast(coalesce({{ alias }}.orders, 0) as bigint) as orders,
    cast(coalesce({{ alias }}.units_sold, 0) as bigint) as units_sold,
    cast(coalesce({{ alias }}.gmv, 0) as decimal(18, 2)) as gmv,
    cast(coalesce({{ alias }}.discounts, 0) as decimal(18, 2)) as discounts,
    cast(coalesce({{ alias }}.net_sales, 0) as decimal(18, 2)) as net_sales,
    {{ safe_divide('coalesce(' ~ alias ~ '.net_sales, 0)', alias ~ '.orders') }} as aov
{%- endmacro %}
