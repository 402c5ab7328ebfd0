-- Who read a child's personal data (PIPL art. 28/31): every read by staff or a regulator is
-- logged here, and the child's guardians can see the log.
CREATE TABLE child_data_access_log (
    id         bigserial   PRIMARY KEY,
    child_id   uuid        NOT NULL,
    account_id uuid        NOT NULL,
    role       text        NOT NULL,
    purpose    text        NOT NULL,
    read_at    timestamptz NOT NULL
);
CREATE INDEX child_data_access_log_child ON child_data_access_log (child_id, read_at);
