-- A group key holds the values of the route's group_by labels, which may name a client id or
-- user name of up to 32 KiB (or more): too long for a btree entry (PostgreSQL refuses one over
-- about 2.7 KB, after compression), so notify_log's primary key failed the enqueue of such a
-- group. As in 007, the unique index holds the md5 of the key instead; writes name it in
-- ON CONFLICT and also set group_key, so a row always holds the key it was last written for.

ALTER TABLE notify_log DROP CONSTRAINT notify_log_pkey;
CREATE UNIQUE INDEX notify_log_key_idx ON notify_log (md5(group_key), receiver, integration_index);
