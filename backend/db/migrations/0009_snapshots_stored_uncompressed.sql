-- Snapshots are stored as written, not compressed. A long stream's snapshot is megabytes
-- (a room-day under the booking rush holds thousands of bookings), and compressing it (pglz:
-- this server has no lz4) cost PostgreSQL about twice the CPU of writing it plain, on every
-- snapshot of every long stream. Only long streams have snapshots, one row each, so the
-- disk they take stays small. Rows written before this keep their compression.
ALTER TABLE snapshots ALTER COLUMN state SET STORAGE EXTERNAL;
