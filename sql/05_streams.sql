-- 05_streams.sql: one append-only stream per consumer on RAW.RECORDS.
-- A stream's offset moves when a DML statement that reads it commits, so two tasks sharing a
-- stream would each see only part of the data: every stream below has exactly one task in
-- 06_tasks.sql (test/sql/static-checks.test.ts enforces it). Re-runnable: IF NOT EXISTS, because
-- re-creating a stream resets its offset and would skip or replay records. A stale stream (tasks
-- failing for 14+ days) is recovered by hand: see sql/README.md, "Recovering a stale stream".
USE ROLE <% database %>_OWNER;

CREATE STREAM IF NOT EXISTS <% database %>.PIPELINE.RAW_TO_CUSTOMERS
    ON TABLE <% database %>.RAW.RECORDS
    APPEND_ONLY = TRUE
    COMMENT = 'datapipe: consumed only by PIPELINE.MERGE_CUSTOMERS';

CREATE STREAM IF NOT EXISTS <% database %>.PIPELINE.RAW_TO_LOCATIONS
    ON TABLE <% database %>.RAW.RECORDS
    APPEND_ONLY = TRUE
    COMMENT = 'datapipe: consumed only by PIPELINE.MERGE_LOCATIONS';

CREATE STREAM IF NOT EXISTS <% database %>.PIPELINE.RAW_TO_WEATHER
    ON TABLE <% database %>.RAW.RECORDS
    APPEND_ONLY = TRUE
    COMMENT = 'datapipe: consumed only by PIPELINE.MERGE_WEATHER';

CREATE STREAM IF NOT EXISTS <% database %>.PIPELINE.RAW_TO_AGENT_STATUS
    ON TABLE <% database %>.RAW.RECORDS
    APPEND_ONLY = TRUE
    COMMENT = 'datapipe: consumed only by PIPELINE.MERGE_AGENT_STATUS';
