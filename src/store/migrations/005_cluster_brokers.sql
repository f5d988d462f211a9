-- The brokers each cluster has been seen with, so that a broker that is down when Sluice starts
-- (and so absent from the cluster's metadata), or a cluster that does not answer at all, still
-- reads as down instead of being forgotten with the previous process's memory. `last_claimed`
-- is the last time the cluster listed the broker or assigned it a replica; the cluster collector
-- forgets a broker unclaimed for longer than `forgetRemovedBrokersAfter` (a drained and removed
-- broker), and `sluice brokers forget` removes one at once.

CREATE TABLE cluster_brokers (
  cluster text NOT NULL,
  broker integer NOT NULL,
  first_seen timestamptz NOT NULL,
  last_claimed timestamptz NOT NULL,
  PRIMARY KEY (cluster, broker)
);
