-- One key per child (AES-256-GCM) that seals the child's personal fields in events and
-- snapshots. Kept outside the append-only events table: deleting a row erases the child's
-- data everywhere it was copied (crypto-shredding, docs/adr/0012).
CREATE TABLE child_data_keys (
    child_id   uuid        PRIMARY KEY,
    key        bytea       NOT NULL CHECK (length(key) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Children registered before this migration get a key too, so what is recorded about them
-- from now on is sealed (their earlier events stay as they were written: see the ADR).
-- Two v4 UUIDs give 244 random bits from PostgreSQL's strong random source.
INSERT INTO child_data_keys (child_id, key)
SELECT stream_id, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
FROM events WHERE topic = 'domain.child.aggregate:Child.Registered'
ON CONFLICT (child_id) DO NOTHING;

-- Their snapshots were written in plain: dropped, so the next load replays and a new snapshot
-- is sealed.
DELETE FROM snapshots WHERE topic = 'domain.child.aggregate:Child';
