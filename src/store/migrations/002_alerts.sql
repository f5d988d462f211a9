-- Alert state of the rules engine, so that a restart neither pages a firing alert again as new
-- nor forgets how long a pending alert has been pending. One row per alert: rule group (its
-- file and name, `file;name`), rule (the alert name) and the fingerprint of the alert's labels.
-- Rows are rewritten after each evaluation of their group; `updated_at` is that evaluation's
-- time, and state older than the outage tolerance is not restored (see src/rules/alert-store.ts).
CREATE TABLE alert_state (
  rule_group text NOT NULL,
  rule text NOT NULL,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'firing', 'inactive')),
  active_at timestamptz NOT NULL,
  fired_at timestamptz,
  resolved_at timestamptz,
  keep_firing_since timestamptz,
  last_sent_at timestamptz,
  valid_until timestamptz,
  value float8 NOT NULL,
  labels jsonb NOT NULL,
  annotations jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (rule_group, rule, fingerprint)
);
