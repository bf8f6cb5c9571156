-- 06_tasks.sql: four serverless triggered tasks, each consuming its own stream with one MERGE.
-- A task runs when its stream has data (checked at most every 30 s by default). Tasks hold no
-- data, so OR REPLACE is how an upgrade changes a MERGE; it suspends the task, and the deploy
-- resumes it right after this file (sql/deploy.sh runs 09_resume.sql next, and again on exit if
-- a later step fails). Each task is a single statement, so no deploy tool splits a body on ';'.
--
-- Rules every MERGE follows (sql/README.md, "Merge rules"):
--   * Exactly the records MONITORING.RAW_REJECTS does not list, and of them only the record types
--     the table is for. The conditions are written out in each MERGE and in RAW_REJECTS; keep the
--     three places (here, 07_monitoring.sql RAW_REJECTS, 04 AGENT_CYCLES) in step. Casts go through
--     ::STRING and TRY_ functions, so one bad record can never fail a task and block its stream.
--   * Tenant isolation: customer_id comes from the S3 key (the first 'customer=<id>/' folder of
--     file_name, the one the agent's IAM policy pins to its own id, sql/aws/agent-put-policy.json);
--     a record whose own customer_id differs is skipped and listed in RAW_REJECTS.
--   * The source is deduplicated on exactly the ON key with a deterministic order (newest first,
--     then file_name, file_row_number): no duplicate inserts, no nondeterministic-merge error.
--   * WHEN MATCHED only when the source is newer, so a late older record changes nothing and a
--     re-delivered file or record is a no-op (0 rows inserted, 0 updated).
USE ROLE <% database %>_OWNER;

CREATE OR REPLACE TASK <% database %>.PIPELINE.MERGE_CUSTOMERS
    TARGET_COMPLETION_INTERVAL = '5 MINUTES'
    SUSPEND_TASK_AFTER_NUM_FAILURES = 10
    COMMENT = 'datapipe: PIPELINE.RAW_TO_CUSTOMERS -> CURATED.CUSTOMERS'
    WHEN SYSTEM$STREAM_HAS_DATA('<% database %>.PIPELINE.RAW_TO_CUSTOMERS')
AS
MERGE INTO <% database %>.CURATED.CUSTOMERS AS t
USING (
    SELECT
        key_customer_id AS customer_id,
        MIN(collected_at) OVER (PARTITION BY key_customer_id) AS first_seen_at,
        collected_at AS last_seen_at,
        agent_version,
        agent_host
    FROM (
        SELECT
            NULLIF(SPLIT_PART(SPLIT_PART(file_name, 'customer=', 2), '/', 1), '') AS key_customer_id,
            record:customer_id::STRING AS record_customer_id,
            record:record_type::STRING AS record_type,
            CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(record:collected_at::STRING)) AS collected_at,
            record:agent.version::STRING AS agent_version,
            record:agent.host::STRING AS agent_host,
            record:location.id::STRING IS NOT NULL
                AND TRY_TO_TIMESTAMP_TZ(record:observed_at::STRING) IS NOT NULL
                AND record:record_id::STRING IS NOT NULL
                AND record:source::STRING IS NOT NULL AS complete_observation,
            record:agent.host::STRING IS NOT NULL
                AND record:cycle.id::STRING IS NOT NULL
                AND TRY_TO_TIMESTAMP_TZ(record:cycle.started_at::STRING) IS NOT NULL
                AND record:cycle.outcome::STRING IS NOT NULL
                AND record:record_id::STRING IS NOT NULL AS complete_status,
            file_name,
            file_row_number
        FROM <% database %>.PIPELINE.RAW_TO_CUSTOMERS
        WHERE TRY_TO_NUMBER(record:schema_version::STRING) = 1
    )
    WHERE key_customer_id IS NOT NULL AND record_customer_id = key_customer_id
        AND collected_at IS NOT NULL
        AND ((record_type = 'observation' AND complete_observation)
            OR (record_type = 'agent_status' AND complete_status))
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY key_customer_id ORDER BY collected_at DESC, file_name, file_row_number
    ) = 1
) AS s
ON t.customer_id = s.customer_id
WHEN MATCHED AND (s.first_seen_at < t.first_seen_at OR s.last_seen_at > t.last_seen_at) THEN UPDATE SET
    first_seen_at = LEAST(t.first_seen_at, s.first_seen_at),
    last_seen_at = GREATEST(t.last_seen_at, s.last_seen_at),
    agent_version = IFF(s.last_seen_at > t.last_seen_at, s.agent_version, t.agent_version),
    agent_host = IFF(s.last_seen_at > t.last_seen_at, s.agent_host, t.agent_host),
    merged_at = CURRENT_TIMESTAMP()
WHEN NOT MATCHED THEN INSERT (
    customer_id, first_seen_at, last_seen_at, agent_version, agent_host, merged_at
) VALUES (
    s.customer_id, s.first_seen_at, s.last_seen_at, s.agent_version, s.agent_host, CURRENT_TIMESTAMP()
);

CREATE OR REPLACE TASK <% database %>.PIPELINE.MERGE_LOCATIONS
    TARGET_COMPLETION_INTERVAL = '5 MINUTES'
    SUSPEND_TASK_AFTER_NUM_FAILURES = 10
    COMMENT = 'datapipe: PIPELINE.RAW_TO_LOCATIONS -> CURATED.LOCATIONS'
    WHEN SYSTEM$STREAM_HAS_DATA('<% database %>.PIPELINE.RAW_TO_LOCATIONS')
AS
MERGE INTO <% database %>.CURATED.LOCATIONS AS t
USING (
    SELECT
        customer_id,
        location_id,
        location_name,
        latitude,
        longitude,
        MIN(observed_at) OVER (PARTITION BY customer_id, location_id) AS first_seen_at,
        observed_at AS last_seen_at
    FROM (
        SELECT
            NULLIF(SPLIT_PART(SPLIT_PART(file_name, 'customer=', 2), '/', 1), '') AS customer_id,
            record:customer_id::STRING AS record_customer_id,
            record:location.id::STRING AS location_id,
            record:location.name::STRING AS location_name,
            TRY_TO_DOUBLE(record:location.latitude::STRING) AS latitude,
            TRY_TO_DOUBLE(record:location.longitude::STRING) AS longitude,
            CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(record:observed_at::STRING)) AS observed_at,
            CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(record:collected_at::STRING)) AS collected_at,
            record:record_id::STRING AS record_id,
            record:source::STRING AS source,
            file_name,
            file_row_number
        FROM <% database %>.PIPELINE.RAW_TO_LOCATIONS
        WHERE record:record_type::STRING = 'observation'
            AND TRY_TO_NUMBER(record:schema_version::STRING) = 1
    )
    WHERE customer_id IS NOT NULL AND record_customer_id = customer_id
        AND location_id IS NOT NULL AND observed_at IS NOT NULL AND collected_at IS NOT NULL
        AND record_id IS NOT NULL AND source IS NOT NULL
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY customer_id, location_id
        ORDER BY observed_at DESC, collected_at DESC, file_name, file_row_number
    ) = 1
) AS s
ON t.customer_id = s.customer_id AND t.location_id = s.location_id
WHEN MATCHED AND (s.first_seen_at < t.first_seen_at OR s.last_seen_at > t.last_seen_at) THEN UPDATE SET
    location_name = IFF(s.last_seen_at > t.last_seen_at, s.location_name, t.location_name),
    latitude = IFF(s.last_seen_at > t.last_seen_at, s.latitude, t.latitude),
    longitude = IFF(s.last_seen_at > t.last_seen_at, s.longitude, t.longitude),
    first_seen_at = LEAST(t.first_seen_at, s.first_seen_at),
    last_seen_at = GREATEST(t.last_seen_at, s.last_seen_at),
    merged_at = CURRENT_TIMESTAMP()
WHEN NOT MATCHED THEN INSERT (
    customer_id, location_id, location_name, latitude, longitude, first_seen_at, last_seen_at, merged_at
) VALUES (
    s.customer_id, s.location_id, s.location_name, s.latitude, s.longitude,
    s.first_seen_at, s.last_seen_at, CURRENT_TIMESTAMP()
);

CREATE OR REPLACE TASK <% database %>.PIPELINE.MERGE_WEATHER
    TARGET_COMPLETION_INTERVAL = '5 MINUTES'
    SUSPEND_TASK_AFTER_NUM_FAILURES = 10
    COMMENT = 'datapipe: PIPELINE.RAW_TO_WEATHER -> CURATED.WEATHER_OBSERVATIONS (observations only)'
    WHEN SYSTEM$STREAM_HAS_DATA('<% database %>.PIPELINE.RAW_TO_WEATHER')
AS
MERGE INTO <% database %>.CURATED.WEATHER_OBSERVATIONS AS t
USING (
    SELECT *
    FROM (
        SELECT
            NULLIF(SPLIT_PART(SPLIT_PART(file_name, 'customer=', 2), '/', 1), '') AS customer_id,
            record:customer_id::STRING AS record_customer_id,
            record:location.id::STRING AS location_id,
            CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(record:observed_at::STRING)) AS observed_at,
            record:record_id::STRING AS record_id,
            record:source::STRING AS source,
            OBJECT_DELETE(AS_OBJECT(record:payload.current), 'time', 'interval') AS variables,
            OBJECT_DELETE(AS_OBJECT(record:payload.current_units), 'time', 'interval') AS units,
            TRY_TO_NUMBER(record:payload.current.interval::STRING) AS interval_seconds,
            record:payload AS payload,
            CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(record:collected_at::STRING)) AS collected_at,
            record:agent.version::STRING AS agent_version,
            file_name,
            file_row_number
        FROM <% database %>.PIPELINE.RAW_TO_WEATHER
        WHERE record:record_type::STRING = 'observation'
            AND TRY_TO_NUMBER(record:schema_version::STRING) = 1
    )
    WHERE customer_id IS NOT NULL AND record_customer_id = customer_id
        AND location_id IS NOT NULL AND observed_at IS NOT NULL
        AND record_id IS NOT NULL AND source IS NOT NULL AND collected_at IS NOT NULL
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY customer_id, location_id, observed_at
        ORDER BY collected_at DESC, file_name, file_row_number
    ) = 1
) AS s
ON t.customer_id = s.customer_id AND t.location_id = s.location_id AND t.observed_at = s.observed_at
WHEN MATCHED AND s.collected_at > t.collected_at THEN UPDATE SET
    record_id = s.record_id,
    source = s.source,
    variables = s.variables,
    units = s.units,
    interval_seconds = s.interval_seconds,
    payload = s.payload,
    collected_at = s.collected_at,
    agent_version = s.agent_version,
    file_name = s.file_name,
    merged_at = CURRENT_TIMESTAMP()
WHEN NOT MATCHED THEN INSERT (
    customer_id, location_id, observed_at, record_id, source, variables, units, interval_seconds,
    payload, collected_at, agent_version, file_name, merged_at
) VALUES (
    s.customer_id, s.location_id, s.observed_at, s.record_id, s.source, s.variables, s.units,
    s.interval_seconds, s.payload, s.collected_at, s.agent_version, s.file_name, CURRENT_TIMESTAMP()
);

CREATE OR REPLACE TASK <% database %>.PIPELINE.MERGE_AGENT_STATUS
    TARGET_COMPLETION_INTERVAL = '5 MINUTES'
    SUSPEND_TASK_AFTER_NUM_FAILURES = 10
    COMMENT = 'datapipe: PIPELINE.RAW_TO_AGENT_STATUS -> CURATED.AGENT_STATUS (latest per host)'
    WHEN SYSTEM$STREAM_HAS_DATA('<% database %>.PIPELINE.RAW_TO_AGENT_STATUS')
AS
MERGE INTO <% database %>.CURATED.AGENT_STATUS AS t
USING (
    SELECT *
    FROM (
        SELECT
            NULLIF(SPLIT_PART(SPLIT_PART(file_name, 'customer=', 2), '/', 1), '') AS customer_id,
            record:customer_id::STRING AS record_customer_id,
            record:agent.host::STRING AS agent_host,
            record:agent.version::STRING AS agent_version,
            record:cycle.id::STRING AS cycle_id,
            CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(record:cycle.started_at::STRING)) AS cycle_started_at,
            CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(record:collected_at::STRING)) AS collected_at,
            record:cycle.outcome::STRING AS outcome,
            record:cycle.locations AS cycle_locations,
            TRY_TO_NUMBER(record:cycle.dump_backlog.files::STRING) AS dump_backlog_files,
            TRY_TO_NUMBER(record:cycle.dump_backlog.bytes::STRING) AS dump_backlog_bytes,
            CONVERT_TIMEZONE(
                'UTC', TRY_TO_TIMESTAMP_TZ(record:cycle.dump_backlog.oldest_at::STRING)
            ) AS dump_backlog_oldest_at,
            record:cycle.last_error_class::STRING AS last_error_class,
            record:record_id::STRING AS record_id,
            file_name,
            file_row_number
        FROM <% database %>.PIPELINE.RAW_TO_AGENT_STATUS
        WHERE record:record_type::STRING = 'agent_status'
            AND TRY_TO_NUMBER(record:schema_version::STRING) = 1
    )
    WHERE customer_id IS NOT NULL AND record_customer_id = customer_id
        AND agent_host IS NOT NULL AND cycle_id IS NOT NULL
        AND cycle_started_at IS NOT NULL AND collected_at IS NOT NULL AND outcome IS NOT NULL
        AND record_id IS NOT NULL
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY customer_id, agent_host
        ORDER BY cycle_started_at DESC, collected_at DESC, file_name, file_row_number
    ) = 1
) AS s
ON t.customer_id = s.customer_id AND t.agent_host = s.agent_host
WHEN MATCHED AND s.cycle_started_at > t.cycle_started_at THEN UPDATE SET
    agent_version = s.agent_version,
    cycle_id = s.cycle_id,
    cycle_started_at = s.cycle_started_at,
    collected_at = s.collected_at,
    outcome = s.outcome,
    cycle_locations = s.cycle_locations,
    dump_backlog_files = s.dump_backlog_files,
    dump_backlog_bytes = s.dump_backlog_bytes,
    dump_backlog_oldest_at = s.dump_backlog_oldest_at,
    last_error_class = s.last_error_class,
    record_id = s.record_id,
    file_name = s.file_name,
    merged_at = CURRENT_TIMESTAMP()
WHEN NOT MATCHED THEN INSERT (
    customer_id, agent_host, agent_version, cycle_id, cycle_started_at, collected_at, outcome,
    cycle_locations, dump_backlog_files, dump_backlog_bytes, dump_backlog_oldest_at,
    last_error_class, record_id, file_name, merged_at
) VALUES (
    s.customer_id, s.agent_host, s.agent_version, s.cycle_id, s.cycle_started_at, s.collected_at,
    s.outcome, s.cycle_locations, s.dump_backlog_files, s.dump_backlog_bytes,
    s.dump_backlog_oldest_at, s.last_error_class, s.record_id, s.file_name, CURRENT_TIMESTAMP()
);
