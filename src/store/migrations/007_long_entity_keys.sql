-- Entity keys name client ids and user names, which Kafka lets be up to 32 KiB: too long for a
-- btree entry (PostgreSQL refuses one over about 2.7 KB, after compression). The indexes on them
-- hold their md5 instead, and queries compare both the md5 (for the index) and the key.

DROP INDEX quota_decisions_entity_idx;
CREATE INDEX quota_decisions_entity_idx ON quota_decisions (cluster, md5(entity_key), quota_key, ts);

ALTER TABLE quota_baselines DROP CONSTRAINT quota_baselines_pkey;
CREATE UNIQUE INDEX quota_baselines_entity_idx ON quota_baselines (cluster, md5(entity_key), quota_key);
