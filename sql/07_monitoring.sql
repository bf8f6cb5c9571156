-- 07_monitoring.sql: views that answer "is data arriving, and if not, where does it stop?"
-- Read in this order: FRESHNESS (per customer/location, against what is expected), AGENTS (is
-- each agent cycling), PIPE_STATUS (is Snowpipe receiving S3 events), LOAD_ERRORS (files Snowpipe
-- rejected or loaded in part), TASKS (is each merge task started), TASK_FAILURES (merges that
-- failed), MERGE_LAG (raw data newer than anything merged), RAW_REJECTS (records the merges
-- skipped), and PROBLEMS (everything above that needs a person; the alert in 10_alert.sql fires on
-- it). Stateless: OR REPLACE is fine.
-- Snowflake accepts correlated subqueries only in WHERE
-- (https://docs.snowflake.com/en/user-guide/querying-subqueries): use joins elsewhere
-- (test/sql/static-checks.test.ts enforces it, because DuckDB accepts them and would not notice).
-- Expectation: a location is expected when an agent's latest status announces it, or when
-- CURATED.EXPECTED_LOCATIONS lists it. Default allowed delay 90 minutes; override per location or
-- per customer ('*') in EXPECTED_LOCATIONS.
USE ROLE <% database %>_OWNER;

CREATE OR REPLACE VIEW <% database %>.MONITORING.FRESHNESS COPY GRANTS
    COMMENT = 'datapipe: newest observation per expected customer/location; LATE or NEVER_RECEIVED'
AS
WITH announced AS (
    SELECT DISTINCT a.customer_id, loc.value:id::STRING AS location_id
    FROM <% database %>.CURATED.AGENT_STATUS AS a,
        LATERAL FLATTEN(INPUT => a.cycle_locations) AS loc
),
listed AS (
    SELECT customer_id, location_id
    FROM <% database %>.CURATED.EXPECTED_LOCATIONS
    WHERE location_id <> '*'
),
expected AS (
    SELECT customer_id, location_id FROM announced
    UNION
    SELECT customer_id, location_id FROM listed
),
measured AS (
    SELECT
        e.customer_id,
        e.location_id,
        l.last_seen_at AS last_observed_at,
        COALESCE(exact.max_delay_minutes, anyloc.max_delay_minutes, 90) AS max_delay_minutes,
        DATEDIFF('minute', l.last_seen_at, CURRENT_TIMESTAMP()) AS minutes_since_last,
        ann.location_id IS NOT NULL AS announced_by_agent
    FROM expected AS e
    LEFT JOIN announced AS ann
        ON ann.customer_id = e.customer_id AND ann.location_id = e.location_id
    LEFT JOIN <% database %>.CURATED.LOCATIONS AS l
        ON l.customer_id = e.customer_id AND l.location_id = e.location_id
    LEFT JOIN <% database %>.CURATED.EXPECTED_LOCATIONS AS exact
        ON exact.customer_id = e.customer_id AND exact.location_id = e.location_id
    LEFT JOIN <% database %>.CURATED.EXPECTED_LOCATIONS AS anyloc
        ON anyloc.customer_id = e.customer_id AND anyloc.location_id = '*'
)
SELECT
    customer_id,
    location_id,
    last_observed_at,
    minutes_since_last,
    max_delay_minutes,
    announced_by_agent,
    CASE
        WHEN last_observed_at IS NULL THEN 'NEVER_RECEIVED'
        WHEN minutes_since_last > max_delay_minutes THEN 'LATE'
        ELSE 'OK'
    END AS status
FROM measured;

CREATE OR REPLACE VIEW <% database %>.MONITORING.AGENTS COPY GRANTS
    COMMENT = 'datapipe: latest cycle per agent host; SILENT, FAILED, PARTIAL, BACKLOG or OK'
AS
SELECT
    a.customer_id,
    a.agent_host,
    a.agent_version,
    a.cycle_started_at AS last_cycle_at,
    DATEDIFF('minute', a.cycle_started_at, CURRENT_TIMESTAMP()) AS minutes_since_cycle,
    a.outcome,
    a.dump_backlog_files,
    a.dump_backlog_bytes,
    a.dump_backlog_oldest_at,
    a.last_error_class,
    CASE
        WHEN DATEDIFF('minute', a.cycle_started_at, CURRENT_TIMESTAMP())
            > COALESCE(e.max_delay_minutes, 90) THEN 'SILENT'
        WHEN a.outcome = 'failed' THEN 'FAILED'
        WHEN a.outcome = 'partial' THEN 'PARTIAL'
        WHEN a.dump_backlog_files > 0 THEN 'BACKLOG'
        ELSE 'OK'
    END AS status
FROM <% database %>.CURATED.AGENT_STATUS AS a
LEFT JOIN <% database %>.CURATED.EXPECTED_LOCATIONS AS e
    ON e.customer_id = a.customer_id AND e.location_id = '*';

CREATE OR REPLACE VIEW <% database %>.MONITORING.PIPE_STATUS COPY GRANTS
    COMMENT = 'datapipe: Snowpipe state, pending files and the last S3 event it received'
AS
WITH status AS (
    SELECT PARSE_JSON(SYSTEM$PIPE_STATUS('<% database %>.RAW.RECORDS_PIPE')) AS s
)
SELECT
    s:executionState::STRING AS execution_state,
    TRY_TO_NUMBER(s:pendingFileCount::STRING) AS pending_file_count,
    TRY_TO_TIMESTAMP_TZ(s:lastReceivedMessageTimestamp::STRING) AS last_received_message_at,
    TRY_TO_TIMESTAMP_TZ(s:lastForwardedMessageTimestamp::STRING) AS last_forwarded_message_at,
    TRY_TO_TIMESTAMP_TZ(s:lastIngestedTimestamp::STRING) AS last_ingested_at,
    s:lastIngestedFilePath::STRING AS last_ingested_file,
    s:notificationChannelName::STRING AS notification_channel,
    s:error::STRING AS error,
    s:fault::STRING AS fault
FROM status;

-- COPY_HISTORY takes START_TIME within the last 14 days
-- (https://docs.snowflake.com/en/sql-reference/functions/copy_history): -13 days stays inside it.
-- With ON_ERROR = CONTINUE (02_ingest.sql) a file with a bad line is 'Partially loaded': its other
-- lines are in RAW, the bad line is not (error_count, first_error_message, first_error_line_number
-- say which). A 'Load failed' file loaded nothing (e.g. not gzip although named .gz). UPPER():
-- the documented values are written 'Load failed' / 'LOAD FAILED' on different pages.
CREATE OR REPLACE VIEW <% database %>.MONITORING.LOAD_ERRORS COPY GRANTS
    COMMENT = 'datapipe: files Snowpipe failed or partly loaded in the last 13 days (not retried automatically)'
AS
SELECT
    h.file_name,
    h.last_load_time,
    h.status,
    h.row_count,
    h.row_parsed,
    h.error_count,
    h.first_error_message,
    h.first_error_line_number,
    h.pipe_name
FROM TABLE(<% database %>.INFORMATION_SCHEMA.COPY_HISTORY(
    TABLE_NAME => '<% database %>.RAW.RECORDS',
    START_TIME => DATEADD('day', -13, CURRENT_TIMESTAMP())
)) AS h
WHERE UPPER(h.status) IN ('LOAD FAILED', 'PARTIALLY LOADED');

-- TASK_HISTORY: the range must lie within the last 7 days and RESULT_LIMIT caps the rows at 10000,
-- newest first, over the whole account (https://docs.snowflake.com/en/sql-reference/functions/task_history).
-- ERROR_ONLY => TRUE returns only failed or cancelled runs, so a busy account's successful runs
-- cannot push our failures out of the limit; -6 days stays inside the window.
CREATE OR REPLACE VIEW <% database %>.MONITORING.TASK_FAILURES COPY GRANTS
    COMMENT = 'datapipe: failed merge task runs in the last 6 days'
AS
SELECT
    h.name AS task_name,
    h.state,
    h.error_code,
    h.error_message,
    h.scheduled_time,
    h.completed_time
FROM TABLE(<% database %>.INFORMATION_SCHEMA.TASK_HISTORY(
    SCHEDULED_TIME_RANGE_START => DATEADD('day', -6, CURRENT_TIMESTAMP()),
    RESULT_LIMIT => 10000,
    ERROR_ONLY => TRUE
)) AS h
WHERE h.database_name = UPPER('<% database %>')
    AND h.state IN ('FAILED', 'FAILED_AND_AUTO_SUSPENDED', 'CANCELLED');

-- A merge task that is not started merges nothing, and its stream goes stale after about 14 days
-- (MAX_DATA_EXTENSION_TIME_IN_DAYS). OR REPLACE in 06 leaves tasks suspended until 09 resumes them,
-- and a task suspends itself after SUSPEND_TASK_AFTER_NUM_FAILURES failures. TASK_DEPENDENTS returns
-- the named task first, with its state 'started' or 'suspended', to the owner or a role with MONITOR
-- or OPERATE on the task (https://docs.snowflake.com/en/sql-reference/functions/task_dependents).
-- A started task keeps its stream fresh: it consumes the stream whenever it has data, and
-- SYSTEM$STREAM_HAS_DATA on an empty stream prevents staleness
-- (https://docs.snowflake.com/en/sql-reference/functions/system_stream_has_data). So no view reads
-- stream staleness: SHOW STREAMS IN SCHEMA <db>.PIPELINE shows stale_after to a person who asks.
-- Each task has no child tasks, so TASK_DEPENDENTS returns exactly its own row. A task the
-- function does not return (dropped, or the grants lost) shows with state NULL.
CREATE OR REPLACE VIEW <% database %>.MONITORING.TASKS COPY GRANTS
    COMMENT = 'datapipe: state of each merge task; anything but started means nothing merges'
AS
WITH expected AS (
    SELECT 'MERGE_CUSTOMERS' AS task_name
    UNION ALL SELECT 'MERGE_LOCATIONS'
    UNION ALL SELECT 'MERGE_WEATHER'
    UNION ALL SELECT 'MERGE_AGENT_STATUS'
),
found AS (
    SELECT 'MERGE_CUSTOMERS' AS task_name, d.state
    FROM TABLE(<% database %>.INFORMATION_SCHEMA.TASK_DEPENDENTS(
        TASK_NAME => '<% database %>.PIPELINE.MERGE_CUSTOMERS', RECURSIVE => FALSE
    )) AS d
    UNION ALL
    SELECT 'MERGE_LOCATIONS' AS task_name, d.state
    FROM TABLE(<% database %>.INFORMATION_SCHEMA.TASK_DEPENDENTS(
        TASK_NAME => '<% database %>.PIPELINE.MERGE_LOCATIONS', RECURSIVE => FALSE
    )) AS d
    UNION ALL
    SELECT 'MERGE_WEATHER' AS task_name, d.state
    FROM TABLE(<% database %>.INFORMATION_SCHEMA.TASK_DEPENDENTS(
        TASK_NAME => '<% database %>.PIPELINE.MERGE_WEATHER', RECURSIVE => FALSE
    )) AS d
    UNION ALL
    SELECT 'MERGE_AGENT_STATUS' AS task_name, d.state
    FROM TABLE(<% database %>.INFORMATION_SCHEMA.TASK_DEPENDENTS(
        TASK_NAME => '<% database %>.PIPELINE.MERGE_AGENT_STATUS', RECURSIVE => FALSE
    )) AS d
)
SELECT e.task_name, f.state
FROM expected AS e
LEFT JOIN found AS f ON f.task_name = e.task_name;

-- Merge lag: the newest raw record a table is for, against the newest change to that table. A
-- started task that keeps failing, or a stream gone stale, shows here even when TASK_HISTORY has
-- aged out. Known false alarm: a delivery made only of records already merged (a backlog pack that
-- repeats cycle files) changes no row, so the table looks behind until the next new record merges;
-- with agents cycling every 15 minutes that clears within a cycle.
CREATE OR REPLACE VIEW <% database %>.MONITORING.MERGE_LAG COPY GRANTS
    COMMENT = 'datapipe: per curated table, newest raw scan time vs newest merged_at; LAGGING after 60 minutes'
AS
WITH newest_raw AS (
    SELECT
        MAX(scan_time) AS any_record,
        MAX(CASE WHEN record:record_type::STRING = 'observation' THEN scan_time END) AS observation,
        MAX(CASE WHEN record:record_type::STRING = 'agent_status' THEN scan_time END) AS agent_status
    FROM <% database %>.RAW.RECORDS
    WHERE scan_time > DATEADD('day', -14, CURRENT_TIMESTAMP())
),
merged AS (
    SELECT 'CUSTOMERS' AS table_name, 'any' AS record_kind, MAX(merged_at) AS newest_merged_at
    FROM <% database %>.CURATED.CUSTOMERS
    UNION ALL
    SELECT 'LOCATIONS', 'observation', MAX(merged_at) FROM <% database %>.CURATED.LOCATIONS
    UNION ALL
    SELECT 'WEATHER_OBSERVATIONS', 'observation', MAX(merged_at)
    FROM <% database %>.CURATED.WEATHER_OBSERVATIONS
    UNION ALL
    SELECT 'AGENT_STATUS', 'agent_status', MAX(merged_at) FROM <% database %>.CURATED.AGENT_STATUS
),
paired AS (
    SELECT
        m.table_name,
        CASE m.record_kind
            WHEN 'observation' THEN r.observation
            WHEN 'agent_status' THEN r.agent_status
            ELSE r.any_record
        END AS newest_raw_scan_time,
        m.newest_merged_at
    FROM merged AS m
    CROSS JOIN newest_raw AS r
)
SELECT
    table_name,
    newest_raw_scan_time,
    newest_merged_at,
    DATEDIFF('minute', newest_merged_at, newest_raw_scan_time) AS lag_minutes,
    CASE
        WHEN newest_raw_scan_time IS NULL THEN 'OK'
        WHEN newest_merged_at IS NULL THEN 'NEVER_MERGED'
        WHEN DATEDIFF('minute', newest_merged_at, newest_raw_scan_time) > 60 THEN 'LAGGING'
        ELSE 'OK'
    END AS status
FROM paired;

-- The same conditions the merges use to skip a record, with a reason, first match wins. Kept in
-- RAW, never lost: fix the cause, then re-deliver (sql/README.md, "Skipped records"). The record
-- itself is not shown: the monitoring role reads no data. The owner finds it in RAW.RECORDS by
-- file_name and file_row_number. key_customer_id is the customer=<id>/ folder of the S3 key, the
-- only customer a record may speak for (06_tasks.sql).
CREATE OR REPLACE VIEW <% database %>.MONITORING.RAW_REJECTS COPY GRANTS
    COMMENT = 'datapipe: raw records the merges skip, with the reason (last 14 days); no record content'
AS
WITH keyed AS (
    SELECT
        file_name,
        file_row_number,
        scan_time,
        NULLIF(SPLIT_PART(SPLIT_PART(file_name, 'customer=', 2), '/', 1), '') AS key_customer_id,
        record
    FROM <% database %>.RAW.RECORDS
    WHERE scan_time > DATEADD('day', -14, CURRENT_TIMESTAMP())
),
checked AS (
    SELECT
        file_name,
        file_row_number,
        scan_time,
        key_customer_id,
        record:record_type::STRING AS record_type,
        CASE
            WHEN COALESCE(TRY_TO_NUMBER(record:schema_version::STRING), -1) <> 1
                THEN 'unsupported schema_version'
            WHEN record:customer_id::STRING IS NULL THEN 'missing customer_id'
            WHEN key_customer_id IS NULL THEN 'file key has no customer=<id>/ folder'
            WHEN record:customer_id::STRING <> key_customer_id
                THEN 'customer_id does not match the file key customer=<id>/'
            WHEN TRY_TO_TIMESTAMP_TZ(record:collected_at::STRING) IS NULL THEN 'bad collected_at'
            WHEN record:record_type::STRING = 'observation'
                AND (record:location.id::STRING IS NULL
                    OR TRY_TO_TIMESTAMP_TZ(record:observed_at::STRING) IS NULL
                    OR record:record_id::STRING IS NULL
                    OR record:source::STRING IS NULL)
                THEN 'observation without location.id, observed_at, record_id or source'
            WHEN record:record_type::STRING = 'agent_status'
                AND (record:agent.host::STRING IS NULL
                    OR record:cycle.id::STRING IS NULL
                    OR TRY_TO_TIMESTAMP_TZ(record:cycle.started_at::STRING) IS NULL
                    OR record:cycle.outcome::STRING IS NULL
                    OR record:record_id::STRING IS NULL)
                THEN 'agent_status without agent.host, cycle.id, cycle.started_at, cycle.outcome or record_id'
            WHEN COALESCE(record:record_type::STRING, '') NOT IN ('observation', 'agent_status')
                THEN 'unknown record_type'
        END AS reason
    FROM keyed
)
SELECT file_name, file_row_number, scan_time, key_customer_id, record_type, reason
FROM checked
WHERE reason IS NOT NULL;

-- One row per thing a person should look at. The alert fires while this view is not empty.
CREATE OR REPLACE VIEW <% database %>.MONITORING.PROBLEMS COPY GRANTS
    COMMENT = 'datapipe: everything in MONITORING that needs a person, one row each'
AS
SELECT 'freshness' AS area, customer_id || '/' || location_id AS subject,
    status || ', newest observation ' || COALESCE(TO_VARCHAR(last_observed_at), 'never') AS detail
FROM <% database %>.MONITORING.FRESHNESS WHERE status <> 'OK'
UNION ALL
SELECT 'agent', customer_id || '/' || agent_host,
    status || ', last cycle ' || TO_VARCHAR(last_cycle_at) || ', error ' || COALESCE(last_error_class, '-')
FROM <% database %>.MONITORING.AGENTS WHERE status IN ('SILENT', 'FAILED')
UNION ALL
SELECT 'pipe', 'RAW.RECORDS_PIPE',
    COALESCE(execution_state, 'UNKNOWN') || ' ' || COALESCE(error, '') || ' ' || COALESCE(fault, '')
FROM <% database %>.MONITORING.PIPE_STATUS
WHERE COALESCE(execution_state, '') <> 'RUNNING' OR error IS NOT NULL OR fault IS NOT NULL
UNION ALL
SELECT 'load', file_name, status || ': ' || COALESCE(first_error_message, '')
FROM <% database %>.MONITORING.LOAD_ERRORS
WHERE last_load_time > DATEADD('day', -1, CURRENT_TIMESTAMP())
UNION ALL
SELECT 'task', task_name, state || ': ' || COALESCE(error_message, '')
FROM <% database %>.MONITORING.TASK_FAILURES
WHERE scheduled_time > DATEADD('day', -1, CURRENT_TIMESTAMP())
UNION ALL
SELECT 'task', task_name,
    COALESCE(state, 'unknown') || ': the task is not started, nothing merges; as owner: ALTER TASK '
    || task_name || ' RESUME (or run sql/deploy.sh)'
FROM <% database %>.MONITORING.TASKS WHERE COALESCE(state, '') <> 'started'
UNION ALL
SELECT 'merge', table_name,
    status || ', newest raw record scanned ' || COALESCE(TO_VARCHAR(newest_raw_scan_time), '-')
    || ', newest merge ' || COALESCE(TO_VARCHAR(newest_merged_at), 'never')
FROM <% database %>.MONITORING.MERGE_LAG WHERE status <> 'OK'
UNION ALL
SELECT 'record', file_name || ':' || TO_VARCHAR(file_row_number), reason
FROM <% database %>.MONITORING.RAW_REJECTS
WHERE scan_time > DATEADD('day', -1, CURRENT_TIMESTAMP());
