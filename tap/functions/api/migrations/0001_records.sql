-- 0001: the records table, and the role the API logs in as with only the grants it needs.

CREATE SCHEMA tap;

CREATE TABLE tap.records (
    id uuid PRIMARY KEY,
    type text NOT NULL CHECK (char_length(type) BETWEEN 1 AND 128),
    payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Roles belong to the cluster, not to one database: another database of the same cluster may
-- have created it already (or be creating it right now: unique_violation).
DO $$
BEGIN
    CREATE ROLE tap_app LOGIN;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO tap_app', current_database());
END
$$;
GRANT USAGE ON SCHEMA tap TO tap_app;
GRANT SELECT, INSERT ON tap.records TO tap_app;

-- IAM database authentication: rds_iam exists only on RDS and Aurora. A plain PostgreSQL server
-- (local runs, the tests) has no such role, and the app logs in with a password there.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO tap_app;
    END IF;
END
$$;
