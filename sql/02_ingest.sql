-- 02_ingest.sql: S3 -> RAW.RECORDS via Snowpipe auto-ingest.
-- The agent writes <prefix>customer=<id>/date=<YYYY-MM-DD>/<customer>_<UTC stamp>_<16 hex>.ndjson
-- (later also .ndjson.gz). Keys are content-addressed: a key never changes content, which is what
-- Snowpipe's 14-day dedup by file name assumes. The pipe lands each line whole (VARIANT) with its
-- file metadata; parsing happens downstream in the tasks, where a bad record can be skipped and
-- reported instead of failing the file. Re-runnable: everything here is IF NOT EXISTS because
-- re-creating the pipe drops its load history and re-creating the stage unlinks the pipe.
-- Variables: database, bucket, prefix.
--
-- Documented facts this file relies on (checked against docs.snowflake.com):
--   * No DATA_RETENTION_TIME_IN_DAYS on RAW.RECORDS: Standard Edition accepts only 0 or 1
--     (https://docs.snowflake.com/en/user-guide/data-time-travel, "Data retention period"), and a
--     stream does not need it: Snowflake extends retention up to MAX_DATA_EXTENSION_TIME_IN_DAYS
--     (default 14) to keep an unconsumed stream from going stale
--     (https://docs.snowflake.com/en/user-guide/streams-intro, "Data retention period and staleness").
--     Longer Time Travel on Enterprise Edition: ALTER TABLE ... SET DATA_RETENTION_TIME_IN_DAYS = n
--     by hand (sql/README.md, "Upgrade").
--   * ON_ERROR = CONTINUE: Snowpipe's default is SKIP_FILE
--     (https://docs.snowflake.com/en/user-guide/data-load-snowpipe-errors), which would drop a whole
--     backlog pack for one unparsable line. With CONTINUE the other lines load and COPY_HISTORY says
--     'Partially loaded' with the first error (MONITORING.LOAD_ERRORS).
--   * The customer a record belongs to comes from its S3 key (customer=<id>/, which only that
--     customer's credentials may write), never from the record: see 06_tasks.sql.
USE ROLE <% database %>_OWNER;

CREATE FILE FORMAT IF NOT EXISTS <% database %>.RAW.NDJSON
    TYPE = JSON
    COMPRESSION = AUTO
    STRIP_OUTER_ARRAY = FALSE
    COMMENT = 'datapipe: one envelope record per line; .ndjson or .ndjson.gz';

-- The URL ends with '/' so that a prefix like 'agents' cannot also match 'agents2/'.
CREATE STAGE IF NOT EXISTS <% database %>.RAW.LANDING
    URL = 's3://<% bucket %>/<% prefix %>'
    STORAGE_INTEGRATION = <% database %>_S3
    FILE_FORMAT = (FORMAT_NAME = '<% database %>.RAW.NDJSON')
    COMMENT = 'datapipe: the agents'' landing prefix (read-only role)';

CREATE TABLE IF NOT EXISTS <% database %>.RAW.RECORDS (
    record VARIANT NOT NULL COMMENT 'One envelope record (agent/envelope/envelope.schema.json), unchanged',
    file_name STRING NOT NULL COMMENT 'S3 key relative to the stage',
    file_row_number NUMBER NOT NULL COMMENT 'Line number in the file, from 1',
    file_content_key STRING COMMENT 'Checksum of the file content (METADATA$FILE_CONTENT_KEY)',
    file_last_modified TIMESTAMP_NTZ COMMENT 'S3 LastModified of the file, UTC',
    scan_time TIMESTAMP_LTZ COMMENT 'When Snowflake started loading the file'
)
    COMMENT = 'datapipe: every record every agent delivered; append-only, never updated';

-- PATTERN is matched against the path relative to the stage URL. It accepts only the agent's data
-- files and rejects everything else under the prefix, in particular doctor canaries
-- (customer=<id>/canary/doctor-<timestamp>.json). test/sql/pipe-pattern.test.ts checks this string.
CREATE PIPE IF NOT EXISTS <% database %>.RAW.RECORDS_PIPE
    AUTO_INGEST = TRUE
    COMMENT = 'datapipe: S3 event notifications -> RAW.RECORDS'
AS
COPY INTO <% database %>.RAW.RECORDS (
    record, file_name, file_row_number, file_content_key, file_last_modified, scan_time
)
FROM (
    SELECT
        $1,
        METADATA$FILENAME,
        METADATA$FILE_ROW_NUMBER,
        METADATA$FILE_CONTENT_KEY,
        METADATA$FILE_LAST_MODIFIED,
        METADATA$START_SCAN_TIME
    FROM @<% database %>.RAW.LANDING
)
PATTERN = '^(.*/)?customer=[A-Za-z0-9_-]{1,64}/date=[0-9]{4}-[0-9]{2}-[0-9]{2}/[^/]+[.]ndjson([.]gz)?$'
FILE_FORMAT = (FORMAT_NAME = '<% database %>.RAW.NDJSON')
ON_ERROR = CONTINUE;
