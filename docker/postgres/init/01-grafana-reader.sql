-- Runs once, when the PostgreSQL container initialises its data directory (as POSTGRES_USER,
-- the `sluice` role that owns Sluice's tables). Grafana reads the store as `grafana`, a role that
-- may only SELECT: the tables Sluice creates later (migrations, daily partitions) are covered by
-- the default privileges.
CREATE ROLE grafana LOGIN PASSWORD 'grafana';
GRANT CONNECT ON DATABASE sluice TO grafana;
GRANT USAGE ON SCHEMA public TO grafana;
ALTER DEFAULT PRIVILEGES FOR ROLE sluice IN SCHEMA public GRANT SELECT ON TABLES TO grafana;
