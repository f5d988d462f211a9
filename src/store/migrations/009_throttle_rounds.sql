-- Every round of a throttle loop explained, the rounds that change nothing included. A round
-- whose explanation is the same as the cluster's last one extends that row (last_at, rounds)
-- instead of adding one: a loop holding still for a day is one row, not 1,440.
CREATE TABLE throttle_rounds (
  id bigserial PRIMARY KEY,
  cluster text NOT NULL,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  rounds integer NOT NULL,
  state text NOT NULL,
  -- Stored as label values are (src/store/labels.ts): it may quote a client id holding NUL.
  explanation text NOT NULL
);
CREATE INDEX throttle_rounds_cluster_idx ON throttle_rounds (cluster, id);
