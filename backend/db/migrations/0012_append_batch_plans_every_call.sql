-- append_batch plans its statements on every call (a custom plan, with the batch's arrays and
-- the tables' statistics of that moment), never with a plan the connection kept. Left to its
-- own choice (migration 0011), the plan cache switched a long-lived connection to a kept
-- generic plan after its first few calls, and PostgreSQL's CPU per append then grew as the
-- tables did: one server process booking fresh room-days in consecutive 8 s windows made
-- 1,511, 1,271, 982 bookings/s while PostgreSQL's CPU per booking went 0.28, 0.40, 0.62 ms;
-- dropping the kept plans brought it back to 0.19 ms, and it grew again. With this setting
-- six such windows made 1,941-2,291/s at 0.15-0.20 ms (docs/adr/0001). Planning each call
-- costs ~115 µs of PostgreSQL's CPU, less than what a kept plan came to cost.
ALTER FUNCTION append_batch(
    text[], bytea[], bytea[], text[], uuid[], uuid[], int[], uuid[], int[],
    int[], uuid[], int[], text[], bytea[], boolean,
    int[], text[], bytea[], bytea[]
) SET plan_cache_mode = force_custom_plan;
