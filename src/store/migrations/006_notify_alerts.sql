-- The alerts the notification dispatcher holds, so that a restart knows every aggregation group
-- as it was: without them a group restarts with only the alerts the rules engine happens to
-- resend first, and the notification log then reads the missing ones as gone (a duplicate
-- "resolved", then the firing ones again). One row per alert fingerprint; `alert` is the held
-- alert (labels, annotations, startsAt, endsAt, generatorURL); `ends_at` is NULL while open-ended.
-- Rows are deleted once the alert's resolution was notified; retention prunes what is left.
CREATE TABLE notify_alerts (
  fingerprint text PRIMARY KEY,
  alert jsonb NOT NULL,
  ends_at timestamptz,
  updated_at timestamptz NOT NULL
);
CREATE INDEX notify_alerts_ends_at_idx ON notify_alerts (ends_at);
