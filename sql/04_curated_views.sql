-- 04_curated_views.sql: read-only views over CURATED and RAW. Stateless, so OR REPLACE is fine;
-- COPY GRANTS keeps the analyst grants across an upgrade (08_grants.sql re-applies them anyway).
USE ROLE <% database %>_OWNER;

-- Long format: one row per observation and variable. Any variable an agent is configured for
-- appears here without SQL changes; value is NULL (and value_variant set) when not numeric.
CREATE OR REPLACE VIEW <% database %>.CURATED.WEATHER_VALUES COPY GRANTS
    COMMENT = 'datapipe: one row per observation and variable, with its unit'
AS
SELECT
    w.customer_id,
    w.location_id,
    w.observed_at,
    v.key AS variable,
    TRY_TO_DOUBLE(v.value::STRING) AS value,
    v.value AS value_variant,
    w.units[v.key]::STRING AS unit,
    w.source,
    w.collected_at
FROM <% database %>.CURATED.WEATHER_OBSERVATIONS AS w,
    LATERAL FLATTEN(INPUT => w.variables) AS v;

-- Typed columns for the variables most agents request. A variable not requested is NULL.
CREATE OR REPLACE VIEW <% database %>.CURATED.WEATHER_COMMON COPY GRANTS
    COMMENT = 'datapipe: common Open-Meteo variables as typed columns (units in CURATED.WEATHER_VALUES)'
AS
SELECT
    customer_id,
    location_id,
    observed_at,
    TRY_TO_DOUBLE(variables:temperature_2m::STRING) AS temperature_2m,
    TRY_TO_DOUBLE(variables:relative_humidity_2m::STRING) AS relative_humidity_2m,
    TRY_TO_DOUBLE(variables:apparent_temperature::STRING) AS apparent_temperature,
    TRY_TO_DOUBLE(variables:precipitation::STRING) AS precipitation,
    TRY_TO_NUMBER(variables:weather_code::STRING) AS weather_code,
    TRY_TO_DOUBLE(variables:cloud_cover::STRING) AS cloud_cover,
    TRY_TO_DOUBLE(variables:pressure_msl::STRING) AS pressure_msl,
    TRY_TO_DOUBLE(variables:wind_speed_10m::STRING) AS wind_speed_10m,
    TRY_TO_DOUBLE(variables:wind_direction_10m::STRING) AS wind_direction_10m,
    TRY_TO_DOUBLE(variables:wind_gusts_10m::STRING) AS wind_gusts_10m,
    TRY_TO_NUMBER(variables:is_day::STRING) AS is_day,
    collected_at
FROM <% database %>.CURATED.WEATHER_OBSERVATIONS;

-- Every agent cycle ever reported (AGENT_STATUS keeps only the latest per host), deduplicated on
-- record_id, which is deterministic per customer/host/cycle. Same record rules as
-- PIPELINE.MERGE_AGENT_STATUS (06_tasks.sql): the customer comes from the S3 key, and a record that
-- MONITORING.RAW_REJECTS lists is not a cycle.
CREATE OR REPLACE VIEW <% database %>.CURATED.AGENT_CYCLES COPY GRANTS
    COMMENT = 'datapipe: history of agent cycles from RAW, one row per cycle'
AS
SELECT
    customer_id,
    agent_host,
    agent_version,
    cycle_id,
    cycle_started_at,
    outcome,
    cycle_locations,
    dump_backlog_files,
    dump_backlog_bytes,
    last_error_class,
    record_id,
    file_name
FROM (
    SELECT
        NULLIF(SPLIT_PART(SPLIT_PART(file_name, 'customer=', 2), '/', 1), '') AS customer_id,
        record:customer_id::STRING AS record_customer_id,
        record:agent.host::STRING AS agent_host,
        record:agent.version::STRING AS agent_version,
        record:cycle.id::STRING AS cycle_id,
        CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(record:cycle.started_at::STRING)) AS cycle_started_at,
        TRY_TO_TIMESTAMP_TZ(record:collected_at::STRING) AS collected_at,
        record:cycle.outcome::STRING AS outcome,
        record:cycle.locations AS cycle_locations,
        TRY_TO_NUMBER(record:cycle.dump_backlog.files::STRING) AS dump_backlog_files,
        TRY_TO_NUMBER(record:cycle.dump_backlog.bytes::STRING) AS dump_backlog_bytes,
        record:cycle.last_error_class::STRING AS last_error_class,
        record:record_id::STRING AS record_id,
        file_name,
        file_row_number
    FROM <% database %>.RAW.RECORDS
    WHERE record:record_type::STRING = 'agent_status'
        AND TRY_TO_NUMBER(record:schema_version::STRING) = 1
)
WHERE customer_id IS NOT NULL AND record_customer_id = customer_id
    AND agent_host IS NOT NULL AND cycle_id IS NOT NULL AND cycle_started_at IS NOT NULL
    AND collected_at IS NOT NULL AND outcome IS NOT NULL AND record_id IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY record_id ORDER BY file_name, file_row_number
) = 1;
