-- Undoes migration 0010: append_batch is planned by the plan cache's own choice again. A
-- generic plan is made once per connection with the statistics of that moment and kept, and
-- under a booking rush PostgreSQL's CPU per append grew with the tables: on one server
-- process, five consecutive 7 s windows on one room-day made 1,111, 1,000, 780 and 620
-- bookings/s while PostgreSQL went from 0.45 to 0.69 of a core; with the cache's choice
-- 1,311, 1,280 and 1,100/s at 0.41–0.43 (the room then refused). The planning it saved
-- (~115 µs per call) is cheaper than that (docs/adr/0001).
ALTER FUNCTION append_batch(
    text[], bytea[], bytea[], text[], uuid[], uuid[], int[], uuid[], int[],
    int[], uuid[], int[], text[], bytea[], boolean,
    int[], text[], bytea[], bytea[]
) RESET plan_cache_mode;
