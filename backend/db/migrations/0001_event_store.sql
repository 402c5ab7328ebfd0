-- The event store: commit-ordered positions, optimistic concurrency, idempotent commands.
CREATE SEQUENCE event_position AS bigint;

CREATE TABLE events (
    position       bigint      PRIMARY KEY,
    stream_id      uuid        NOT NULL,
    version        integer     NOT NULL CHECK (version > 0),
    topic          text        NOT NULL,
    state          bytea       NOT NULL,
    command_key    text,
    actor          text,
    correlation_id uuid,
    causation_id   uuid,
    recorded_at    timestamptz NOT NULL,
    UNIQUE (stream_id, version)
);

CREATE TABLE commands (
    command_key   text        PRIMARY KEY,
    request_hash  bytea       NOT NULL,
    result        bytea,
    last_position bigint,
    recorded_at   timestamptz NOT NULL
);

CREATE TABLE snapshots (
    stream_id uuid        PRIMARY KEY,
    version   integer     NOT NULL,
    topic     text        NOT NULL,
    state     bytea       NOT NULL,
    taken_at  timestamptz NOT NULL
);

CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);

-- One call appends a whole batch of commands. A transaction-scoped advisory lock makes
-- position order equal commit order, so a tailing reader never sees a lower position
-- appear behind one it has read. Each command in the batch is judged alone:
--   duplicate  its command key was seen before (the stored answer is returned)
--   conflict   a stream's version is not the expected one (nothing of it is written)
--   ok         all its events were written
CREATE FUNCTION append_batch(
    a_key text[], a_hash bytea[], a_result bytea[], a_actor text[],
    a_correlation uuid[], a_causation uuid[],
    x_append int[], x_stream uuid[], x_expected int[],
    a_first int[], a_count int[], e_stream uuid[], e_version int[], e_topic text[], e_state bytea[]
) RETURNS TABLE (idx int, status text, last_position bigint, stored_hash bytea, stored_result bytea)
LANGUAGE plpgsql AS $$
DECLARE
    n int := coalesce(array_length(a_key, 1), 0);
    verdict text[] := array_fill('ok'::text, ARRAY[n]);
    last_pos bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    s_hash bytea[] := array_fill(NULL::bytea, ARRAY[n]);
    s_result bytea[] := array_fill(NULL::bytea, ARRAY[n]);
    now_ts timestamptz := clock_timestamp();
    r record;
    i int;
BEGIN
    PERFORM pg_advisory_xact_lock(7477001);

    FOR r IN
        SELECT t.i, c.request_hash, c.result, c.last_position
        FROM unnest(a_key) WITH ORDINALITY AS t(k, i)
        JOIN commands c ON c.command_key = t.k
    LOOP
        verdict[r.i] := 'duplicate';
        s_hash[r.i] := r.request_hash;
        s_result[r.i] := r.result;
        last_pos[r.i] := r.last_position;
    END LOOP;

    FOR r IN
        SELECT x.ai
        FROM unnest(x_append, x_stream, x_expected) AS x(ai, sid, expected)
        WHERE coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = x.sid), 0)
              <> x.expected
    LOOP
        IF verdict[r.ai] = 'ok' THEN
            verdict[r.ai] := 'conflict';
        END IF;
    END LOOP;

    FOR i IN 1..n LOOP
        CONTINUE WHEN verdict[i] <> 'ok' OR a_count[i] = 0;
        INSERT INTO events (position, stream_id, version, topic, state, command_key,
                            actor, correlation_id, causation_id, recorded_at)
        SELECT nextval('event_position'), ev.sid, ev.ver, ev.topic, ev.state, a_key[i],
               a_actor[i], a_correlation[i], a_causation[i], now_ts
        FROM unnest(e_stream[a_first[i]:a_first[i] + a_count[i] - 1],
                    e_version[a_first[i]:a_first[i] + a_count[i] - 1],
                    e_topic[a_first[i]:a_first[i] + a_count[i] - 1],
                    e_state[a_first[i]:a_first[i] + a_count[i] - 1])
             WITH ORDINALITY AS ev(sid, ver, topic, state, ord)
        ORDER BY ev.ord;
        last_pos[i] := currval('event_position');
    END LOOP;

    INSERT INTO commands (command_key, request_hash, result, last_position, recorded_at)
    SELECT t.k, a_hash[t.i], a_result[t.i], last_pos[t.i], now_ts
    FROM unnest(a_key) WITH ORDINALITY AS t(k, i)
    WHERE t.k IS NOT NULL AND verdict[t.i] = 'ok';

    RETURN QUERY
    SELECT g.i::int, verdict[g.i], last_pos[g.i], s_hash[g.i], s_result[g.i]
    FROM generate_series(1, n) AS g(i);
END;
$$;
