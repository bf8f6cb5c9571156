-- 03_curated_tables.sql: the tables the tasks keep current, plus the optional expectation table.
-- All timestamps are TIMESTAMP_TZ normalised to UTC (the envelope writes UTC with 'Z'), so nothing
-- depends on a session's TIMEZONE. Merge keys are NOT NULL: a NULL key would never match and would
-- insert a duplicate on every re-delivery. Re-runnable: IF NOT EXISTS, data is never touched.
-- Adding a column later: ALTER TABLE ... ADD COLUMN IF NOT EXISTS in this file, never OR REPLACE.
USE ROLE <% database %>_OWNER;

CREATE TABLE IF NOT EXISTS <% database %>.CURATED.CUSTOMERS (
    customer_id STRING NOT NULL COMMENT 'customer.id from the agent config',
    first_seen_at TIMESTAMP_TZ NOT NULL COMMENT 'Earliest collected_at of any record',
    last_seen_at TIMESTAMP_TZ NOT NULL COMMENT 'Latest collected_at of any record',
    agent_version STRING COMMENT 'Agent version of the latest record',
    agent_host STRING COMMENT 'Host of the latest record',
    merged_at TIMESTAMP_LTZ NOT NULL COMMENT 'When this row last changed',
    CONSTRAINT customers_pk PRIMARY KEY (customer_id)
)
    COMMENT = 'datapipe: one row per customer that ever delivered data';

CREATE TABLE IF NOT EXISTS <% database %>.CURATED.LOCATIONS (
    customer_id STRING NOT NULL,
    location_id STRING NOT NULL COMMENT 'Location id from the agent config, unique per customer',
    location_name STRING COMMENT 'Name of the latest observation',
    latitude FLOAT COMMENT 'Configured latitude of the latest observation',
    longitude FLOAT,
    first_seen_at TIMESTAMP_TZ NOT NULL COMMENT 'Earliest observed_at',
    last_seen_at TIMESTAMP_TZ NOT NULL COMMENT 'Latest observed_at',
    merged_at TIMESTAMP_LTZ NOT NULL,
    CONSTRAINT locations_pk PRIMARY KEY (customer_id, location_id)
)
    COMMENT = 'datapipe: one row per customer location that delivered at least one observation';

-- Variables stay in VARIANT columns so a variable added to an agent's config flows through with no
-- SQL change; CURATED.WEATHER_VALUES (long format) and WEATHER_COMMON (typed) read them.
CREATE TABLE IF NOT EXISTS <% database %>.CURATED.WEATHER_OBSERVATIONS (
    customer_id STRING NOT NULL,
    location_id STRING NOT NULL,
    observed_at TIMESTAMP_TZ NOT NULL COMMENT 'Source observation time, UTC',
    record_id STRING NOT NULL COMMENT 'Deterministic id of customer/location/source/observed_at',
    source STRING NOT NULL COMMENT 'open-meteo',
    variables VARIANT COMMENT 'payload.current without time/interval: {variable: value}',
    units VARIANT COMMENT 'payload.current_units without time/interval: {variable: unit}',
    interval_seconds NUMBER COMMENT 'payload.current.interval',
    payload VARIANT COMMENT 'The source response for this location, unchanged',
    collected_at TIMESTAMP_TZ NOT NULL COMMENT 'When the agent received it; the newest copy wins',
    agent_version STRING,
    file_name STRING NOT NULL COMMENT 'S3 key the kept copy came from',
    merged_at TIMESTAMP_LTZ NOT NULL,
    CONSTRAINT weather_observations_pk PRIMARY KEY (customer_id, location_id, observed_at)
)
    CLUSTER BY (TO_DATE(observed_at), customer_id)
    COMMENT = 'datapipe: one row per customer, location and observation time';

CREATE TABLE IF NOT EXISTS <% database %>.CURATED.AGENT_STATUS (
    customer_id STRING NOT NULL,
    agent_host STRING NOT NULL,
    agent_version STRING,
    cycle_id STRING NOT NULL COMMENT 'Compact UTC start time of the latest cycle',
    cycle_started_at TIMESTAMP_TZ NOT NULL,
    collected_at TIMESTAMP_TZ NOT NULL,
    outcome STRING NOT NULL COMMENT 'ok | partial | failed',
    cycle_locations VARIANT COMMENT 'Array of {id, outcome, error_class?}: what the agent is configured for',
    dump_backlog_files NUMBER,
    dump_backlog_bytes NUMBER,
    dump_backlog_oldest_at TIMESTAMP_TZ,
    last_error_class STRING,
    record_id STRING NOT NULL,
    file_name STRING NOT NULL,
    merged_at TIMESTAMP_LTZ NOT NULL,
    CONSTRAINT agent_status_pk PRIMARY KEY (customer_id, agent_host)
)
    COMMENT = 'datapipe: the latest cycle status per customer and agent host';

-- Optional: what the company expects, independent of what the agents announce. A row with
-- location_id = '*' sets the interval for every location of that customer.
CREATE TABLE IF NOT EXISTS <% database %>.CURATED.EXPECTED_LOCATIONS (
    customer_id STRING NOT NULL,
    location_id STRING NOT NULL COMMENT 'A location id, or * for all of the customer''s locations',
    max_delay_minutes NUMBER NOT NULL DEFAULT 90 COMMENT 'Late when the newest observation is older',
    note STRING,
    CONSTRAINT expected_locations_pk PRIMARY KEY (customer_id, location_id)
)
    COMMENT = 'datapipe: expected data per customer/location; maintained by people, not tasks';
