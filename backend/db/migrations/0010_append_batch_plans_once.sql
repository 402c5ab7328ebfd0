-- append_batch plans its statements once per connection, not on every call. PL/pgSQL passes
-- the function's arrays to its statements as parameters, and PostgreSQL's plan cache kept
-- choosing a custom plan for several of them (each array's values known), so every call
-- planned them again: ~115 µs of PostgreSQL's CPU per call in the attendance benchmark, where
-- nearly every command is an append of its own, and the look-up of known command keys was
-- planned against the array's values as a scan of the whole table while its statistics were
-- young. Every statement here joins arrays to a unique index, for which the generic plan
-- (a nested loop over the index) is the right one at any batch size (docs/adr/0001).
ALTER FUNCTION append_batch(
    text[], bytea[], bytea[], text[], uuid[], uuid[], int[], uuid[], int[],
    int[], uuid[], int[], text[], bytea[], boolean,
    int[], text[], bytea[], bytea[]
) SET plan_cache_mode = force_generic_plan;
