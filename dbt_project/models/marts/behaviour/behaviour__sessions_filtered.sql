{{ config(materialized='view', schema='intermediate') }}

{#- The sessions every KPI table counts: bots left out unless var ecom__include_bots. -#}
with

    sessions as (select * from {{ ref('fct_sessions') }}),

    final as (select * from sessions {%- if not var('ecom__include_bots') %} where not is_bot {%- endif %})

select *
from final
