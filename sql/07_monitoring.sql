-- 07_monitoring.sql: views that answer "is data arriving, and if not, where does it stop?"
-- Read in this order: FRESHNESS (per customer/location, against what is expected), AGENTS (is
-- each agent cycling), PIPE_STATUS (is Snowpipe receiving S3 events), LOAD_ERRORS (files Snowpipe
-- rejected), TASK_FAILURES (merges that failed), STREAMS (is a stream about to go stale),
-- RAW_REJECTS (records the merges skipped), and PROBLEMS (everything above that needs a person;
-- the alert in 10_alert.sql fires on it). Stateless: OR REPLACE is fine.
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
        e.location_id IN (SELECT x.location_id FROM announced AS x WHERE x.customer_id = e.customer_id)
            AS announced_by_agent
    FROM expected AS e
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

CREATE OR REPLACE VIEW <% database %>.MONITORING.LOAD_ERRORS COPY GRANTS
    COMMENT = 'datapipe: files Snowpipe failed or partly loaded in the last 14 days (not retried automatically)'
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
    START_TIME => DATEADD('day', -14, CURRENT_TIMESTAMP())
)) AS h
WHERE h.status <> 'Loaded';

CREATE OR REPLACE VIEW <% database %>.MONITORING.TASK_FAILURES COPY GRANTS
    COMMENT = 'datapipe: failed merge task runs in the last 7 days'
AS
SELECT
    h.name AS task_name,
    h.state,
    h.error_code,
    h.error_message,
    h.scheduled_time,
    h.completed_time
FROM TABLE(<% database %>.INFORMATION_SCHEMA.TASK_HISTORY(
    SCHEDULED_TIME_RANGE_START => DATEADD('day', -7, CURRENT_TIMESTAMP()),
    RESULT_LIMIT => 10000
)) AS h
WHERE h.database_name = UPPER('<% database %>')
    AND h.state IN ('FAILED', 'FAILED_AND_AUTO_SUSPENDED', 'CANCELLED');

-- ACCOUNT_USAGE lags up to about 2 hours; staleness builds over days, so that is enough. A stream
-- re-created keeps older rows under the same name: the newest id is the live one.
CREATE OR REPLACE VIEW <% database %>.MONITORING.STREAMS COPY GRANTS
    COMMENT = 'datapipe: when each stream goes stale if its task stops consuming it'
AS
SELECT
    s.stream_schema,
    s.stream_name,
    s.stale_after,
    s.stale_after < CURRENT_TIMESTAMP() AS is_stale,
    DATEDIFF('hour', CURRENT_TIMESTAMP(), s.stale_after) AS hours_until_stale
FROM SNOWFLAKE.ACCOUNT_USAGE.STREAMS AS s
WHERE s.stream_catalog = UPPER('<% database %>')
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY s.stream_schema, s.stream_name ORDER BY s.stream_id DESC
) = 1;

-- The same conditions the merges use to skip a record, with a reason. Kept in RAW, never lost:
-- fix the cause, then re-deliver (sql/README.md, "Skipped records").
CREATE OR REPLACE VIEW <% database %>.MONITORING.RAW_REJECTS COPY GRANTS
    COMMENT = 'datapipe: raw records the merges skip, with the reason (last 14 days)'
AS
WITH checked AS (
    SELECT
        file_name,
        file_row_number,
        scan_time,
        record:record_type::STRING AS record_type,
        CASE
            WHEN COALESCE(TRY_TO_NUMBER(record:schema_version::STRING), -1) <> 1
                THEN 'unsupported schema_version'
            WHEN record:customer_id::STRING IS NULL THEN 'missing customer_id'
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
        END AS reason,
        record
    FROM <% database %>.RAW.RECORDS
    WHERE scan_time > DATEADD('day', -14, CURRENT_TIMESTAMP())
)
SELECT file_name, file_row_number, scan_time, record_type, reason, record
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
SELECT 'stream', stream_schema || '.' || stream_name,
    'stale after ' || TO_VARCHAR(stale_after)
FROM <% database %>.MONITORING.STREAMS WHERE hours_until_stale < 24 * 7
UNION ALL
SELECT 'record', file_name || ':' || TO_VARCHAR(file_row_number), reason
FROM <% database %>.MONITORING.RAW_REJECTS
WHERE scan_time > DATEADD('day', -1, CURRENT_TIMESTAMP());
