-- read_models_begin_step makes no plan that scans `events` (or the checkpoints) whole. A
-- connection keeps the plans of a function's statements, made with the table sizes of their
-- moment. Planned on a young store whose statistics said "a few rows" (an ANALYZE of the
-- first events), the read of the events past the checkpoints was a `Seq Scan on events`,
-- kept while the store grew, until the next ANALYZE replaced it: 2.7 ms a step at 20,000
-- events, and growing with them (the same trap as append_batch's, migration 0013,
-- docs/adr/0001). Every statement here reads by position or name, for which an index is
-- always right at any size.
ALTER FUNCTION read_models_begin_step(bigint[], text[], text[], int) SET enable_seqscan = off;
