{#- No personal data in URLs (docs/marts.md, Personal data). Applied once, in
    stg_tracking__events, to page_url, page_referrer and page_path, after the
    UTM tags have been read from the URL as sent.

    sanitized_url(url): the URL (or bare path) with
    - its scheme, host (and port) and path;
    - no user info (https://user:password@host), no fragment (#...);
    - of its query string, only the parameters named in the var
      ecom__url_parameters_kept (utm_* and the ad click ids by default), in
      their order; the "?" only when one is left;
    - email addresses, phone numbers and IPv4 addresses in the path and in the
      kept values masked (masked_personal_data). The host is kept as sent: it
      is the referrer's source in attribution.
    A URL with none of ? # @ % and no digit run that could be a phone or an
    address is returned as it is, untouched by any regular expression (most
    URLs: the sanitising costs nothing there). Null stays null.

    The patterns are written without backslashes: the spark target reads
    string literals as written, DuckDB too. -#}
{% macro sanitized_url(url) -%}
    {#- Every part below is one expression that appears once: DuckDB computes a
        repeated subexpression for every row, before the case picks the rows
        that need it (measured: twice the model's time at 1.7M events). -#}
    {%- set origin = "regexp_extract(" ~ url ~ ", '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*', 0)" -%}
    {%- set path = "regexp_extract(" ~ url ~ ", '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1)" -%}
    {%- set query = "regexp_extract(" ~ url ~ ", '^[^?#]*[?]([^#]*)', 1)" -%}
    {%- set parameter = kept_url_parameter_pattern() -%}
    case
        when not ({{ url_may_hold_personal_data(url) }})
        then {{ url }}
        {% if parameter -%}
            {#- the common URL with a query: only kept parameters, nothing to mask
            (what the else branch would give, at a fraction of its cost). The
            phone test is written in the other order than in the first when:
            the same text twice would be computed for every row (see above). -#}
            when
                not contains({{ url }}, '#')
                and not contains({{ url }}, '@')
                and not contains({{ url }}, '%')
                and {{ regex_matches(url, "'^[^?]*[?]" ~ parameter ~ "(?:&" ~ parameter ~ ")*$'") }}
                and not {{ regex_matches(url, "'[+][0-9]|[0-9][ .()+-]'") }}
            then {{ url }}
        {% endif -%}
        else
            {{ regex_replace_all(origin, "'://[^/@]*@'", "'://'") }}
            || {{ masked_personal_data(path) }}
            || coalesce('?' || {{ masked_personal_data(kept_url_parameters(query)) }}, '')
    end
{%- endmacro %}

{#- True unless the URL plainly needs no change: a query, fragment, user
    info or percent-encoding, or a digit next to a phone separator or a +
    (the first character of every phone and IPv4 pattern below). -#}
{% macro url_may_hold_personal_data(url) -%}
    (
        contains({{ url }}, '?')
        or contains({{ url }}, '#')
        or contains({{ url }}, '@')
        or contains({{ url }}, '%')
        or {{ regex_matches(url, "'[0-9][ .()+-]|[+][0-9]'") }}
    )
{%- endmacro %}

{#- One query parameter (name, then =value or nothing) whose name var
    ecom__url_parameters_kept lists: a regular expression, none for an empty
    list. A name ending in * is a prefix (utm_*); names match in any case. -#}
{% macro kept_url_parameter_pattern() -%}
    {%- set alternatives = [] -%}
    {%- for name in var('ecom__url_parameters_kept') -%}
        {%- do alternatives.append(name | replace('.', '[.]') | replace('*', '[^=&]*')) -%}
    {%- endfor -%}
    {{- "(?i:" ~ alternatives | join('|') ~ ")(?:=[^&]*)?" if alternatives else "" -}}
{%- endmacro %}

{#- The parameters of a query string (text after "?", without it) named in
    var ecom__url_parameters_kept, joined by "&" in their order; null when
    none is. Each & is doubled first, so that every parameter is matched
    between its own & (or the text's ends): gclidx=1 is no gclid. -#}
{% macro kept_url_parameters(query) -%}
    {%- set parameter = kept_url_parameter_pattern() -%}
    {%- if not parameter -%} cast(null as {{ dbt.type_string() }})
    {%- else -%}
        nullif(
            {{ regex_extract_all_joined("replace(" ~ query ~ ", '&', '&&')",
            "'(?:^|&)(" ~ parameter ~ ")(?:&|$)'", 1, '&') }},
            ''
        )
    {%- endif -%}
{%- endmacro %}

{#- The text with every email address replaced by [email], every phone-like
    value by [phone] and every IPv4 address by [ip] (docs/marts.md, Personal data):
    - email: name@domain.tld, the @ also percent-encoded (%40, %2540);
    - phone: a + (or %2B) then 8 to 15 digits; or a group of 1 to 6 digits,
      a separator, then 7 to 14 more digits. Digits may be separated by
      spaces, dots, dashes, parentheses or + (one or two of them), also
      percent-encoded. One unbroken run of digits is an id, not a phone
      (campaign and click ids stay), and a date is no phone (2026-03-02: 4
      digits after the first group);
    - IPv4: four groups of 1 to 3 digits joined by dots.
    A phone or address starts at the text's start or after a character that
    is no letter, digit or _ (or after a percent-escape). -#}
{% macro masked_personal_data(text) -%}
    {%- set boundary = "(^|[^0-9A-Za-z_%]|%[0-9A-Fa-f][0-9A-Fa-f])" -%}
    {%- set separator = "(?:[ .()+-]|%2[089BbDdEe])" -%}
    {%- set phone = "(?:(?:[+]|%2[Bb])[0-9](?:" ~ separator ~ "{0,2}[0-9]){7,14}|[0-9]{1,6}" ~ separator
        ~ "{1,2}[0-9](?:" ~ separator ~ "{0,2}[0-9]){6,13})" -%}
    {%- set ipv4 = "[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}" -%}
    {#- addresses first: 198.51.100.23 would also pass for a phone; text appears once (see sanitized_url) -#}
    {{ regex_replace_all(
        regex_replace_all(
            regex_replace_all(text, email_pattern(), "'[email]'"),
            "'" ~ boundary ~ ipv4 ~ "'", "'" ~ regex_group_reference(1) ~ "[ip]'"),
        "'" ~ boundary ~ phone ~ "'", "'" ~ regex_group_reference(1) ~ "[phone]'") }}
{%- endmacro %}

{#- The text with every email address (the @ also as %40 or %2540) replaced
    by [email]. Text with no @ and no % is returned as it is, with no regular
    expression run on it. -#}
{% macro masked_email(text) -%}
    case
        when contains({{ text }}, '@') or contains({{ text }}, '%')
        then {{ regex_replace_all(text, email_pattern(), "'[email]'") }}
        else {{ text }}
    end
{%- endmacro %}

{#- An email address as a SQL string literal: name@domain.tld, the @ also as %40 or %2540. -#}
{% macro email_pattern() -%} '[A-Za-z0-9._%+-]+(?:@|%40|%2540)[A-Za-z0-9.-]+[.][A-Za-z][A-Za-z]+' {%- endmacro %}

{#- regexp_replace of every match (DuckDB replaces the first one unless told 'g'). -#}
{% macro regex_replace_all(value, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'ecom_analytics')(value, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro duckdb__regex_replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#- How a replacement refers to capture group n: \n (POSIX, RE2: DuckDB, PostgreSQL), $n in Spark (Java). -#}
{% macro regex_group_reference(n) -%}
    {{ return(adapter.dispatch('regex_group_reference', 'ecom_analytics')(n)) }}
{%- endmacro %}

{% macro default__regex_group_reference(n) -%} {{ '\\' ~ n }} {%- endmacro %}

{% macro spark__regex_group_reference(n) -%} {{ '$' ~ n }} {%- endmacro %}

{#- Capture group `group` of every match of the pattern, joined by `separator` ('' when none). -#}
{% macro regex_extract_all_joined(value, pattern, group, separator) -%}
    {{ return(adapter.dispatch('regex_extract_all_joined', 'ecom_analytics')(value, pattern, group, separator)) }}
{%- endmacro %}

{% macro default__regex_extract_all_joined(value, pattern, group, separator) -%}
    array_to_string(regexp_extract_all({{ value }}, {{ pattern }}, {{ group }}), '{{ separator }}')
{%- endmacro %}

{% macro spark__regex_extract_all_joined(value, pattern, group, separator) -%}
    array_join(regexp_extract_all({{ value }}, {{ pattern }}, {{ group }}), '{{ separator }}')
{%- endmacro %}
