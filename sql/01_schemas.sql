-- 01_schemas.sql: the four schemas, one per stage of the warehouse data path.
--   RAW         file format, external stage, raw table, Snowpipe (what S3 delivered, unparsed)
--   PIPELINE    streams on the raw table and the tasks that consume them
--   CURATED     the tables analysts read, and views over them
--   MONITORING  health views and the optional alert
-- Runs as the owner role from here on, so every object is owned by it. Re-runnable.
USE ROLE <% database %>_OWNER;

CREATE SCHEMA IF NOT EXISTS <% database %>.RAW
    COMMENT = 'datapipe: records exactly as the agents wrote them, plus load metadata';
CREATE SCHEMA IF NOT EXISTS <% database %>.PIPELINE
    COMMENT = 'datapipe: streams and the tasks that merge them into CURATED';
CREATE SCHEMA IF NOT EXISTS <% database %>.CURATED
    COMMENT = 'datapipe: customers, locations, weather and agent status; deduplicated';
CREATE SCHEMA IF NOT EXISTS <% database %>.MONITORING
    COMMENT = 'datapipe: freshness, load errors, task failures, stream staleness';
