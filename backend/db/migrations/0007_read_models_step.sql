-- read_models_begin_step: the start of the live follower's step in one round trip. Inside the
-- follower's transaction it takes every read model's advisory lock (in key order: no
-- deadlock), then returns, each statement on a snapshot taken after the locks:
--   kind 0: one row per read model: its checkpoint (0 if it has none yet) in o_position;
--   kind 1: the head (the highest committed position) in o_position;
--   kind 2: the events after the lowest checkpoint up to the head with one of p_topics, in
--           position order, at most p_limit.
-- Positions are commit-ordered (append_batch holds its lock to commit), so nothing is ever
-- filled in behind the head read here. The locks stay held until the caller's transaction ends.
CREATE FUNCTION read_models_begin_step(
    p_keys bigint[], p_names text[], p_topics text[], p_limit int
) RETURNS TABLE (
    o_kind smallint, o_name text, o_position bigint, o_stream_id uuid, o_version int,
    o_topic text, o_state bytea, o_recorded_at timestamptz
)
LANGUAGE plpgsql AS $$
DECLARE
    low bigint;
    head bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(t.k) FROM unnest(p_keys) AS t(k) ORDER BY t.k;

    RETURN QUERY
    SELECT 0::smallint, n.nm, coalesce(c.position, 0)::bigint, NULL::uuid, NULL::int,
           NULL::text, NULL::bytea, NULL::timestamptz
    FROM unnest(p_names) AS n(nm) LEFT JOIN projection_checkpoints c ON c.name = n.nm;

    SELECT coalesce(min(coalesce(c.position, 0)), 0) INTO low
    FROM unnest(p_names) AS n(nm) LEFT JOIN projection_checkpoints c ON c.name = n.nm;
    SELECT coalesce(max(e.position), 0) INTO head FROM events e;

    RETURN QUERY
    SELECT 1::smallint, NULL::text, head, NULL::uuid, NULL::int, NULL::text, NULL::bytea,
           NULL::timestamptz;

    IF head > low THEN
        RETURN QUERY
        SELECT 2::smallint, NULL::text, e.position, e.stream_id, e.version, e.topic, e.state,
               e.recorded_at
        FROM events e
        WHERE e.position > low AND e.position <= head AND e.topic = ANY(p_topics)
        ORDER BY e.position
        LIMIT p_limit;
    END IF;
END;
$$;
