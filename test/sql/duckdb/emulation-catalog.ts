// The emulated Snowflake objects' state, in the same DuckDB database as the scripts' tables (a
// DuckDB transaction may write only one attached database, and a task's MERGE and its stream's
// offset must commit together). Schemas:
//   EMULATION              harness state: clock, pipes, load history, stream offsets, task runs
//   SF_INFORMATION_SCHEMA  table macros for INFORMATION_SCHEMA.COPY_HISTORY / TASK_HISTORY
// Columns are the documented ones the views read (docs.snowflake.com/en/sql-reference/functions/
// copy_history, .../functions/task_history, .../functions/task_dependents); windows and limits as
// documented: COPY_HISTORY returns 14 days, TASK_HISTORY errors outside the last 7 days and
// returns RESULT_LIMIT (1..10000, default 100) newest runs, ERROR_ONLY keeps failed/cancelled runs.
import { functionMacros } from './functions.ts';

export function emulationCatalog(db: string): string[] {
  const e = `${db}.EMULATION`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${e}`,
    `CREATE SCHEMA IF NOT EXISTS ${db}.SF_INFORMATION_SCHEMA`,
    `CREATE TABLE IF NOT EXISTS ${e}.CLOCK (now TIMESTAMPTZ NOT NULL)`,
    `INSERT INTO ${e}.CLOCK SELECT TIMESTAMPTZ '2026-11-21 11:00:00+00' WHERE NOT EXISTS (SELECT 1 FROM ${e}.CLOCK)`,
    `CREATE OR REPLACE MACRO ${db}.main.sf_current_timestamp() AS (SELECT max(now) FROM ${e}.CLOCK)`,
    ...functionMacros(db),
    `CREATE TABLE IF NOT EXISTS ${e}.PIPES (
       name VARCHAR PRIMARY KEY, paused BOOLEAN NOT NULL, notification_channel VARCHAR,
       last_received_at TIMESTAMPTZ, last_ingested_at TIMESTAMPTZ, last_ingested_file VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ${e}.LOAD_HISTORY (
       file_name VARCHAR, stage_location VARCHAR, last_load_time TIMESTAMPTZ, row_count BIGINT,
       row_parsed BIGINT, file_size BIGINT, first_error_message VARCHAR, first_error_line_number BIGINT,
       first_error_character_pos BIGINT, first_error_column_name VARCHAR, error_count BIGINT,
       error_limit BIGINT, status VARCHAR, table_catalog_name VARCHAR, table_schema_name VARCHAR,
       table_name VARCHAR, pipe_catalog_name VARCHAR, pipe_schema_name VARCHAR, pipe_name VARCHAR,
       pipe_received_time TIMESTAMPTZ, first_commit_time TIMESTAMPTZ)`,
    `CREATE TABLE IF NOT EXISTS ${e}.STAGED_ROWS (
       load_id BIGINT, c1 JSON, metadata_filename VARCHAR, metadata_file_row_number BIGINT,
       metadata_file_content_key VARCHAR, metadata_file_last_modified TIMESTAMP,
       metadata_start_scan_time TIMESTAMPTZ)`,
    `CREATE TABLE IF NOT EXISTS ${e}.STREAMS (
       name VARCHAR PRIMARY KEY, source_table VARCHAR NOT NULL, offset_rowid BIGINT NOT NULL,
       created_on TIMESTAMPTZ NOT NULL, consumed_at TIMESTAMPTZ NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${e}.TASKS (
       name VARCHAR PRIMARY KEY, state VARCHAR NOT NULL, consecutive_failures INTEGER NOT NULL,
       definition VARCHAR, condition VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ${e}.TASK_RUNS (
       query_id VARCHAR, name VARCHAR, database_name VARCHAR, schema_name VARCHAR, query_text VARCHAR,
       condition_text VARCHAR, state VARCHAR, error_code VARCHAR, error_message VARCHAR,
       scheduled_time TIMESTAMPTZ, query_start_time TIMESTAMPTZ, next_scheduled_time TIMESTAMPTZ,
       completed_time TIMESTAMPTZ, root_task_id VARCHAR, graph_version INTEGER, run_id BIGINT,
       return_value VARCHAR, scheduled_from VARCHAR, attempt_number INTEGER)`,
    `CREATE OR REPLACE MACRO ${db}.SF_INFORMATION_SCHEMA.COPY_HISTORY(table_name := NULL, start_time := NULL, end_time := NULL) AS TABLE
       SELECT h.* FROM ${e}.LOAD_HISTORY AS h
       WHERE (upper(h.table_catalog_name || '.' || h.table_schema_name || '.' || h.table_name) = upper(table_name)
              OR upper(h.table_name) = upper(table_name))
         AND h.last_load_time >= start_time
         AND (end_time IS NULL OR h.last_load_time < end_time)
         AND h.last_load_time >= sf_current_timestamp() - INTERVAL 14 DAY`,
    `CREATE OR REPLACE MACRO ${db}.SF_INFORMATION_SCHEMA.TASK_HISTORY(scheduled_time_range_start := NULL,
       scheduled_time_range_end := NULL, result_limit := 100, task_name := NULL, error_only := FALSE,
       root_task_id := NULL) AS TABLE
       SELECT r.* FROM (SELECT CASE
           WHEN scheduled_time_range_start < sf_current_timestamp() - INTERVAL 7 DAY
             THEN error('TASK_HISTORY: time range must be within the last 7 days')
           WHEN result_limit NOT BETWEEN 1 AND 10000 THEN error('TASK_HISTORY: RESULT_LIMIT must be 1..10000')
           ELSE TRUE END AS arguments_ok) AS a
       LEFT JOIN ${e}.TASK_RUNS AS r ON a.arguments_ok
       WHERE r.name IS NOT NULL
         AND (scheduled_time_range_start IS NULL OR r.scheduled_time >= scheduled_time_range_start)
         AND (scheduled_time_range_end IS NULL OR r.scheduled_time < scheduled_time_range_end)
         AND (task_name IS NULL OR upper(r.name) = upper(task_name))
         AND (NOT error_only OR r.state IN ('FAILED', 'FAILED_AND_AUTO_SUSPENDED', 'CANCELLED'))
       ORDER BY r.scheduled_time DESC LIMIT result_limit`,
    // TASK_DEPENDENTS(TASK_NAME => ..., RECURSIVE => FALSE) lists the named task first; these tasks
    // have no children, so it is the task's own row (docs.snowflake.com/en/sql-reference/functions/task_dependents).
    `CREATE OR REPLACE MACRO ${db}.SF_INFORMATION_SCHEMA.TASK_DEPENDENTS(task_name := NULL, recursive := TRUE) AS TABLE
       SELECT split_part(t.name, '.', 3) AS name, split_part(t.name, '.', 1) AS database_name,
         split_part(t.name, '.', 2) AS schema_name, t.state, t.definition, t.condition
       FROM ${e}.TASKS AS t
       WHERE upper(t.name) = upper(task_name) OR upper(split_part(t.name, '.', 3)) = upper(task_name)`,
    `CREATE OR REPLACE MACRO ${db}.main.sf_system_pipe_status(pipe) AS (
       SELECT CAST(json_object(
         'executionState', CASE WHEN p.paused THEN 'PAUSED' ELSE 'RUNNING' END,
         'pendingFileCount', 0,
         'notificationChannelName', p.notification_channel,
         'lastReceivedMessageTimestamp', strftime(p.last_received_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
         'lastForwardedMessageTimestamp', strftime(p.last_received_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
         'lastIngestedTimestamp', strftime(p.last_ingested_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
         'lastIngestedFilePath', p.last_ingested_file) AS VARCHAR)
       FROM ${e}.PIPES AS p WHERE upper(p.name) = upper(pipe))`,
  ];
}
