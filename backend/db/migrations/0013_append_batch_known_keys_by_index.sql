-- append_batch, fourth version: every plan it keeps reads the tables through their indexes,
-- so it keeps its plans (one per statement per connection) and no longer plans every call
-- (migration 0012 did, ~115 µs of PostgreSQL's CPU and more for a command appended alone).
--
-- Why a kept plan went wrong (docs/adr/0001): a plan is made with the table sizes of its
-- moment. Commands without an idempotency key leave no row in `commands`, so a server started
-- on a world written without keys met a nearly empty table, and the look-up of known keys was
-- planned as a scan of the whole table. The plan was kept while every booking added a row,
-- and PostgreSQL's CPU per booking grew until autovacuum's ANALYZE replaced it.
-- Now the look-ups are `command_key = ANY(keys)` (the keys found are placed back in the batch
-- with array_positions) and `enable_seqscan` is off inside the function: with no table scan
-- to choose, each plan is an index look-up per key (or per stream) at any table size.
CREATE OR REPLACE FUNCTION append_batch(
    a_key text[], a_hash bytea[], a_result bytea[], a_actor text[],
    a_correlation uuid[], a_causation uuid[],
    x_command int[], x_stream uuid[], x_expected int[],
    e_command int[], e_stream uuid[], e_version int[], e_topic text[], e_state bytea[],
    p_notify boolean,
    k_command int[], k_key text[], k_hash bytea[], k_result bytea[]
) RETURNS TABLE (idx int, status text, last_position bigint, stored_hash bytea, stored_result bytea)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    n int := coalesce(array_length(a_key, 1), 0);
    verdict text[] := array_fill('ok'::text, ARRAY[n]);
    last_pos bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    s_hash bytea[] := array_fill(NULL::bytea, ARRAY[n]);
    s_result bytea[] := array_fill(NULL::bytea, ARRAY[n]);
    now_ts timestamptz := clock_timestamp();
    head bigint;
    i int;
    r record;
BEGIN
    PERFORM pg_advisory_xact_lock(7477001);

    FOR r IN
        SELECT c.command_key, c.request_hash, c.result, c.last_position
        FROM commands c WHERE c.command_key = ANY(a_key)
    LOOP
        FOREACH i IN ARRAY array_positions(a_key, r.command_key) LOOP
            verdict[i] := 'duplicate';
            s_hash[i] := r.request_hash;
            s_result[i] := r.result;
            last_pos[i] := r.last_position;
        END LOOP;
    END LOOP;

    FOR r IN
        SELECT c.command_key FROM commands c WHERE c.command_key = ANY(k_key)
    LOOP
        FOREACH i IN ARRAY array_positions(k_key, r.command_key) LOOP
            IF verdict[k_command[i]] = 'ok' THEN
                verdict[k_command[i]] := 'conflict';
            END IF;
        END LOOP;
    END LOOP;

    FOR r IN
        SELECT x.ci
        FROM unnest(x_command, x_stream, x_expected) AS x(ci, sid, expected)
        WHERE coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = x.sid), 0)
              <> x.expected
    LOOP
        IF verdict[r.ci] = 'ok' THEN
            verdict[r.ci] := 'conflict';
        END IF;
    END LOOP;

    FOR r IN
        WITH written AS (
            INSERT INTO events (position, stream_id, version, topic, state, command_key,
                                actor, correlation_id, causation_id, recorded_at)
            SELECT nextval('event_position'), ev.sid, ev.ver, ev.topic, ev.state, a_key[ev.ci],
                   a_actor[ev.ci], a_correlation[ev.ci], a_causation[ev.ci], now_ts
            FROM unnest(e_command, e_stream, e_version, e_topic, e_state)
                 WITH ORDINALITY AS ev(ci, sid, ver, topic, state, ord)
            WHERE verdict[ev.ci] = 'ok'
            ORDER BY ev.ord
            RETURNING position, stream_id
        )
        SELECT x.ci, max(w.position) AS pos
        FROM written w JOIN unnest(x_command, x_stream) AS x(ci, sid) ON x.sid = w.stream_id
        GROUP BY x.ci
    LOOP
        last_pos[r.ci] := r.pos;
    END LOOP;

    INSERT INTO commands (command_key, request_hash, result, last_position, recorded_at)
    SELECT t.k, a_hash[t.i], a_result[t.i], last_pos[t.i], now_ts
    FROM unnest(a_key) WITH ORDINALITY AS t(k, i)
    WHERE t.k IS NOT NULL AND verdict[t.i] = 'ok';

    INSERT INTO commands (command_key, request_hash, result, last_position, recorded_at)
    SELECT k.key, k.hash, k.result, last_pos[k.ci], now_ts
    FROM unnest(k_command, k_key, k_hash, k_result) AS k(ci, key, hash, result)
    WHERE verdict[k.ci] = 'ok';

    IF p_notify THEN
        SELECT max(p) INTO head FROM unnest(last_pos) AS p;
        IF head IS NOT NULL THEN
            PERFORM pg_notify('tuoyu_events', head::text);
        END IF;
    END IF;

    RETURN QUERY
    SELECT g.i::int, verdict[g.i], last_pos[g.i], s_hash[g.i], s_result[g.i]
    FROM generate_series(1, n) AS g(i);
END;
$$;
