{#- Sessionizes on the key columns only; fct_events joins the wide rows back
    (windows over full-width rows measured ~5x slower, 2.6x the memory).

    Incremental by message_id (macro incremental_by_key), equal to a full
    refresh (tests/integration/test_incremental_equals_full_refresh.py). An
    incremental run (Spark re-sessionizes every event instead: macro
    scoped_resessionization, docs/spark.md):
    - a touched person is the person of any event loaded since the last run
      (as stitched now, and where a redelivered copy used to be);
    - for each of that person's visitors the run starts at the first stored
      session a new event could touch (one that ends within the timeout
      before the person's earliest new event, or later) and re-sessionizes
      from there onward, numbering on from the sessions before it. Sessions
      before that point cannot change: a new event is more than the timeout
      after them, and a session's id (its first message) only changes when
      an event lands before it;
    - the person's server-side events from the earliest such start onward
      are attached again;
    - a person whose stored identity no longer matches (a new link or alias
      moved one of its visitors) is recomputed over its whole history, both
      the old and the new person;
    - a backfill window (vars ecom__backfill_start/_end, from a partitioned
      Dagster run) makes every event in it count as new, so the run re-derives
      those days and what depends on them (later sessions of the same people,
      a session crossing the window's edge), nothing else. -#}
{{ incremental_by_key('message_id') }}
{{ config(tags=['daily_partitioned']) }}

{%- set timeout = var('session_timeout_minutes') -%}
{%- set beginning_of_time = "cast('1900-01-01 00:00:00' as timestamp)" -%}
{#- DuckDB re-sessionizes only the persons new events touch; Spark every event (macro scoped_resessionization) -#}
{%- set scoped = is_incremental() and scoped_resessionization() -%}
{%- set run_started_at_timestamp = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as timestamp)" -%}
{#- The key columns of an event of stg_tracking__events. -#}
{%- set event_columns -%}
    message_id,
    anonymous_id,
    user_id,
    event_at,
    load_id,
    -- received more than the lateness bound after it happened (an
    -- offline device, a wrong clock): kept, but left out of sessions so
    -- that it cannot rewrite long-closed history
    coalesce(
        received_at > {{ dbt.dateadd('day', var('ecom__max_event_lateness_days'), 'event_at') }}, false
    ) as is_beyond_lateness
{%- endset -%}

with

    identities as (select * from {{ ref('int_identities_stitched') }}),

    {% if scoped %}

        {#- The scoped recompute reads the stored table ({{ this }}) and the staged
            events directly, a few narrow columns per CTE, never through a shared
            CTE of every row: DuckDB materializes a CTE that is read more than once,
            and a materialized copy of every stored and every staged row cost more
            than the rest of an increment (and spilled under a small memory limit).
            The CTEs read more than once here hold only the rows in scope. -#}
        new_events as (

            select {{ event_columns }}
            from {{ ref('stg_tracking__events') }}
            where
                {{ newer_than_stored('load_id') }}
                -- a backfill treats its window's events as new: their persons are
                -- re-sessionized from there on, exactly as when they first landed
                or {{ in_backfill_window('event_at') }}

        ),

        -- every person a new event lands on, with the time it lands; a redelivered
        -- copy that now wins also leaves its old place
        touches as (

            select coalesce(identities.user_id, new_events.anonymous_id) as person_id, new_events.event_at
            from new_events
            left join identities on identities.anonymous_id = new_events.anonymous_id
            where new_events.anonymous_id is not null and not new_events.is_beyond_lateness

            union all

            select new_events.user_id as person_id, new_events.event_at
            from new_events
            where
                new_events.anonymous_id is null and new_events.user_id is not null and not new_events.is_beyond_lateness

            union all

            select stored.person_id, stored.event_at
            from {{ this }} as stored
            where stored.message_id in (select message_id from new_events)

        ),

        -- stored visitors whose person changed since they were stored: their old and
        -- new persons are recomputed in full. One pass over the stored key columns
        -- that keeps only the changed rows (the distinct runs on those alone).
        relinked_visitors as (

            select distinct
                stored.anonymous_id,
                stored.person_id as stored_person_id,
                coalesce(identities.user_id, stored.anonymous_id) as person_id
            from {{ this }} as stored
            left join identities on identities.anonymous_id = stored.anonymous_id
            where
                not stored.is_server_side
                and stored.anonymous_id is not null
                and stored.person_id <> coalesce(identities.user_id, stored.anonymous_id)

        ),

        relinked_persons as (

            select stored_person_id as person_id
            from relinked_visitors

            union

            select person_id
            from relinked_visitors

        ),

        touched_persons as (

            select
                touches.person_id,
                case
                    when max(case when relinked_persons.person_id is not null then 1 else 0 end) = 1
                    then {{ beginning_of_time }}
                    else min(touches.event_at)
                end as first_touch_at
            from touches
            left join relinked_persons on relinked_persons.person_id = touches.person_id
            group by touches.person_id

            union all

            -- a relinked person without new events of its own (its visitor moved away)
            select relinked_persons.person_id, {{ beginning_of_time }} as first_touch_at
            from relinked_persons
            where relinked_persons.person_id not in (select person_id from touches)

        ),

        -- every visitor of a touched person: stored under it, or stitched to it now
        touched_visitors as (

            select stored.anonymous_id, touched_persons.person_id, touched_persons.first_touch_at
            from {{ this }} as stored
            inner join touched_persons on touched_persons.person_id = stored.person_id
            where not stored.is_server_side and stored.anonymous_id is not null

            union

            select new_events.anonymous_id, touched_persons.person_id, touched_persons.first_touch_at
            from new_events
            left join identities on identities.anonymous_id = new_events.anonymous_id
            inner join
                touched_persons on touched_persons.person_id = coalesce(identities.user_id, new_events.anonymous_id)
            where new_events.anonymous_id is not null

        ),

        -- a visitor of a relinked person can sit under two persons: the earliest start wins
        visitor_first_touch as (

            select anonymous_id, min(first_touch_at) as first_touch_at from touched_visitors group by anonymous_id

        ),

        -- stored sessions of those visitors, their end including joined server-side events
        stored_sessions as (

            select
                stored.anonymous_id,
                stored.session_id,
                max(stored.session_number) as session_number,
                min(stored.event_at) as started_at,
                max(stored.event_at) as ended_at
            from {{ this }} as stored
            inner join visitor_first_touch on visitor_first_touch.anonymous_id = stored.anonymous_id
            where stored.session_id is not null
            group by stored.anonymous_id, stored.session_id

        ),

        visitor_cutoffs as (

            select
                visitor_first_touch.anonymous_id,
                case
                    when
                        min(stored_sessions.started_at) is not null
                        and min(stored_sessions.started_at) < visitor_first_touch.first_touch_at
                    then min(stored_sessions.started_at)
                    else visitor_first_touch.first_touch_at
                end as recompute_from
            from visitor_first_touch
            left join
                stored_sessions
                on stored_sessions.anonymous_id = visitor_first_touch.anonymous_id
                and stored_sessions.ended_at
                >= {{ dbt.dateadd('minute', -timeout, 'visitor_first_touch.first_touch_at') }}
            group by visitor_first_touch.anonymous_id, visitor_first_touch.first_touch_at

        ),

        -- the sessions that stay, counted so that the recomputed ones number on
        visitor_offsets as (

            select
                visitor_cutoffs.anonymous_id,
                visitor_cutoffs.recompute_from,
                coalesce(max(stored_sessions.session_number), 0) as sessions_before
            from visitor_cutoffs
            left join
                stored_sessions
                on stored_sessions.anonymous_id = visitor_cutoffs.anonymous_id
                and stored_sessions.started_at < visitor_cutoffs.recompute_from
            group by visitor_cutoffs.anonymous_id, visitor_cutoffs.recompute_from

        ),

        person_cutoffs as (

            select touched_visitors.person_id, min(visitor_cutoffs.recompute_from) as recompute_from
            from touched_visitors
            inner join visitor_cutoffs on visitor_cutoffs.anonymous_id = touched_visitors.anonymous_id
            group by touched_visitors.person_id

            union all

            -- a person with server-side events only
            select touched_persons.person_id, touched_persons.first_touch_at as recompute_from
            from touched_persons
            where touched_persons.person_id not in (select person_id from touched_visitors)

        ),

        server_cutoffs as (

            select person_id, min(recompute_from) as recompute_from from person_cutoffs group by person_id

        ),

        in_scope as (

            select events.*
            from (select {{ event_columns }} from {{ ref('stg_tracking__events') }}) as events
            inner join
                visitor_cutoffs
                on visitor_cutoffs.anonymous_id = events.anonymous_id
                and events.event_at >= visitor_cutoffs.recompute_from

            union

            select events.*
            from (select {{ event_columns }} from {{ ref('stg_tracking__events') }}) as events
            inner join
                server_cutoffs
                on server_cutoffs.person_id = events.user_id
                and events.event_at >= server_cutoffs.recompute_from
            where events.anonymous_id is null

            union

            -- new events beyond the lateness bound touch no session but need their row
            select *
            from new_events
            where is_beyond_lateness

        ),

        -- stored client-side events before the cut that a re-attached server-side
        -- event may still join
        kept_client_events as (

            select
                stored.message_id,
                stored.anonymous_id,
                stored.event_at,
                stored.session_number,
                stored.session_id,
                stored.person_id
            from {{ this }} as stored
            inner join
                visitor_cutoffs
                on visitor_cutoffs.anonymous_id = stored.anonymous_id
                and stored.event_at < visitor_cutoffs.recompute_from
            where not stored.is_server_side and stored.session_id is not null

        ),

    {% else %} in_scope as (select {{ event_columns }} from {{ ref('stg_tracking__events') }}),

    {% endif %}

    {% if is_incremental() and not scoped %}

        -- the rows as stored, to keep the sessionized_at of rows that come out the same
        stored as (select * from {{ this }}),

    {% endif %}

    client_events as (

        select message_id, anonymous_id, event_at
        from in_scope
        where anonymous_id is not null and not is_beyond_lateness

    ),

    with_previous as (

        select *, lag(event_at) over (partition by anonymous_id order by event_at, message_id) as previous_event_at
        from client_events

    ),

    flagged as (

        select
            *,
            -- a gap of exactly the timeout stays in the session; timestamps are
            -- compared, not dbt.datediff, which counts minute boundaries per engine
            case
                when previous_event_at is null
                then 1
                when event_at > {{ dbt.dateadd('minute', timeout, 'previous_event_at') }}
                then 1
                else 0
            end as is_session_start
        from with_previous

    ),

    numbered as (

        select
            flagged.*,
            cast(
                {% if scoped %}
                    coalesce(visitor_offsets.sessions_before, 0) + {% endif %} sum(
                    flagged.is_session_start
                ) over (
                    partition by flagged.anonymous_id
                    order by flagged.event_at, flagged.message_id
                    rows between unbounded preceding and current row
                ) as {{ dbt.type_bigint() }}
            ) as session_number
        from flagged
        {% if scoped %} left join visitor_offsets on visitor_offsets.anonymous_id = flagged.anonymous_id {% endif %}

    ),

    client_sessionized as (

        select
            numbered.message_id,
            numbered.anonymous_id,
            numbered.event_at,
            numbered.session_number,
            -- named by the visitor and the session's first event, so the id does
            -- not depend on how many sessions came before it
            {{ dbt.hash("numbered.anonymous_id || '|' || first_value(numbered.message_id) over (partition by numbered.anonymous_id, numbered.session_number order by numbered.event_at, numbered.message_id)") }}
            as session_id,
            coalesce(identities.user_id, numbered.anonymous_id) as person_id
        from numbered
        left join identities on identities.anonymous_id = numbered.anonymous_id

    ),

    server_events as (

        select message_id, user_id, event_at
        from in_scope
        where anonymous_id is null and user_id is not null and not is_beyond_lateness

    ),

    candidate_client_events as (

        select *
        from client_sessionized
        {% if scoped %}
            union all
            select *
            from kept_client_events
        {% endif %}

    ),

    -- a server-side event joins the person's session that is open at its time:
    -- the one whose latest event at or before it is within the timeout
    server_candidates as (

        select
            server_events.message_id,
            server_events.event_at,
            candidate_client_events.session_id,
            candidate_client_events.session_number,
            candidate_client_events.anonymous_id,
            candidate_client_events.person_id,
            row_number() over (
                partition by server_events.message_id
                order by candidate_client_events.event_at desc, candidate_client_events.session_id
            ) as candidate_rank
        from server_events
        inner join
            candidate_client_events
            on candidate_client_events.person_id = server_events.user_id
            and candidate_client_events.event_at <= server_events.event_at
            and server_events.event_at <= {{ dbt.dateadd('minute', timeout, 'candidate_client_events.event_at') }}

    ),

    sessionized as (

        select message_id, anonymous_id, event_at, session_number, session_id, person_id, false as is_server_side
        from client_sessionized

        union all

        select
            server_events.message_id,
            server_candidates.anonymous_id,
            server_events.event_at,
            server_candidates.session_number,
            server_candidates.session_id,
            coalesce(server_candidates.person_id, server_events.user_id) as person_id,
            true as is_server_side
        from server_events
        left join
            server_candidates
            on server_candidates.message_id = server_events.message_id
            and server_candidates.candidate_rank = 1

    ),

    -- the next event is looked up within the whole session: in an incremental
    -- run a re-attached server-side event can sit in a session that stays
    session_events as (

        select message_id, session_id, event_at, true as is_recomputed
        from sessionized
        where session_id is not null

        {% if scoped %}
            union all

            select stored.message_id, stored.session_id, stored.event_at, false as is_recomputed
            from {{ this }} as stored
            where
                stored.session_id in (select session_id from sessionized)
                and stored.message_id not in (select message_id from sessionized)
        {% endif %}

    ),

    next_events as (

        select
            message_id,
            lead(event_at) over (partition by session_id order by event_at, message_id) as next_event_at,
            is_recomputed
        from session_events

    ),

    beyond_lateness as (

        select
            in_scope.message_id,
            in_scope.anonymous_id,
            in_scope.event_at,
            cast(null as {{ dbt.type_bigint() }}) as session_number,
            cast(null as {{ dbt.type_string() }}) as session_id,
            coalesce(identities.user_id, in_scope.anonymous_id, in_scope.user_id) as person_id,
            in_scope.anonymous_id is null as is_server_side
        from in_scope
        left join identities on identities.anonymous_id = in_scope.anonymous_id
        where in_scope.is_beyond_lateness

    ),

    all_rows as (

        select *
        from sessionized
        union all
        select *
        from beyond_lateness

    ),

    recomputed as (

        select
            all_rows.message_id,
            -- for a joined server-side event: the anonymous id of its session
            all_rows.anonymous_id,
            all_rows.event_at,
            all_rows.session_number,
            all_rows.session_id,
            all_rows.person_id,
            all_rows.is_server_side,
            in_scope.is_beyond_lateness,
            next_events.next_event_at,
            in_scope.load_id,
            -- when this row was (re)computed: the marts downstream pick up every row newer than theirs
            {% if is_incremental() and not scoped -%}
                case
                    when
                        stored.message_id is not null
                        and stored.anonymous_id is not distinct from all_rows.anonymous_id
                        and stored.event_at = all_rows.event_at
                        and stored.session_number is not distinct from all_rows.session_number
                        and stored.session_id is not distinct from all_rows.session_id
                        and stored.person_id is not distinct from all_rows.person_id
                        and stored.is_server_side = all_rows.is_server_side
                        and stored.is_beyond_lateness = in_scope.is_beyond_lateness
                        and stored.next_event_at is not distinct from next_events.next_event_at
                        and stored.load_id = in_scope.load_id
                        and not {{ in_backfill_window('all_rows.event_at') }}
                    then stored.sessionized_at
                    else {{ run_started_at_timestamp }}
                end as sessionized_at
            {%- else -%} {{ run_started_at_timestamp }} as sessionized_at
            {%- endif %}
            {{- key_bucket_column('all_rows.message_id') }}
        from all_rows
        inner join in_scope on in_scope.message_id = all_rows.message_id
        left join next_events on next_events.message_id = all_rows.message_id and next_events.is_recomputed
        {% if is_incremental() and not scoped -%}
            left join stored on stored.message_id = all_rows.message_id
        {%- endif %}

    ),

    final as ({{ rows_to_write('recomputed') }})

select *
from final
