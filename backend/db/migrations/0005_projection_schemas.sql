-- The shape each read model's tables were created with (a hash of its DDL). When a read
-- model's DDL changes in the code, its tables are dropped and it is replayed from position 0.
CREATE TABLE projection_schemas (
    name        text        PRIMARY KEY,
    schema_hash text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
