-- Timed jobs that follow the event store (backend/following_jobs.py): where each one stopped,
-- and the work it found there and has not done yet. The work found and the cursor's move
-- commit together, and an item leaves only once done, so a process that stops between the
-- two loses nothing (docs/adr/0006, amended 2026-12-04).
CREATE TABLE job_cursors (
    job        text        PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE job_items (
    job    text   NOT NULL,
    item   uuid   NOT NULL,  -- the stream the job runs its command on (a room-day, an attendance day)
    day    date   NOT NULL,  -- its local day: the soonest are done first
    marked bigint NOT NULL,  -- the cursor position that found it (last time)
    PRIMARY KEY (job, item)
);
CREATE INDEX job_items_by_day ON job_items (job, day);
