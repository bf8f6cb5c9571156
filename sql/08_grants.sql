-- 08_grants.sql: object grants from the owner role to the operator, monitoring and analyst roles.
-- Least privilege (matrix in sql/README.md, "Roles and grants"): analysts see CURATED only; the
-- monitoring role sees MONITORING views (which show no record content) and may monitor the pipe
-- and tasks; the operator (who also holds the monitoring role) may pause/resume the pipe and
-- suspend/resume/execute the tasks. The operator gets no USAGE on the stage (it would read every
-- customer's raw files) and no INSERT on RAW.RECORDS (it could inject records the merges trust).
-- ALTER PIPE ... REFRESH needs both (https://docs.snowflake.com/en/user-guide/data-load-snowpipe-manage,
-- privileges table), so a refresh or bulk COPY backfill is run by the owner role.
-- Explicit per-object grants (no FUTURE grants): a new object gets its grant here, reviewed.
-- Re-runnable: GRANT is idempotent; run after every deploy because OR REPLACE on a task drops its
-- grants.
USE ROLE <% database %>_OWNER;

GRANT USAGE ON DATABASE <% database %> TO ROLE <% database %>_ANALYST;
GRANT USAGE ON SCHEMA <% database %>.CURATED TO ROLE <% database %>_ANALYST;
GRANT SELECT ON TABLE <% database %>.CURATED.CUSTOMERS TO ROLE <% database %>_ANALYST;
GRANT SELECT ON TABLE <% database %>.CURATED.LOCATIONS TO ROLE <% database %>_ANALYST;
GRANT SELECT ON TABLE <% database %>.CURATED.WEATHER_OBSERVATIONS TO ROLE <% database %>_ANALYST;
GRANT SELECT ON TABLE <% database %>.CURATED.AGENT_STATUS TO ROLE <% database %>_ANALYST;
GRANT SELECT ON TABLE <% database %>.CURATED.EXPECTED_LOCATIONS TO ROLE <% database %>_ANALYST;
GRANT SELECT ON VIEW <% database %>.CURATED.WEATHER_VALUES TO ROLE <% database %>_ANALYST;
GRANT SELECT ON VIEW <% database %>.CURATED.WEATHER_COMMON TO ROLE <% database %>_ANALYST;
GRANT SELECT ON VIEW <% database %>.CURATED.AGENT_CYCLES TO ROLE <% database %>_ANALYST;

GRANT USAGE ON DATABASE <% database %> TO ROLE <% database %>_MONITOR;
GRANT USAGE ON SCHEMA <% database %>.MONITORING TO ROLE <% database %>_MONITOR;
GRANT USAGE ON SCHEMA <% database %>.RAW TO ROLE <% database %>_MONITOR;
GRANT USAGE ON SCHEMA <% database %>.PIPELINE TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.FRESHNESS TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.AGENTS TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.PIPE_STATUS TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.LOAD_ERRORS TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.TASK_FAILURES TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.TASKS TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.MERGE_LAG TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.RAW_REJECTS TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.PROBLEMS TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON PIPE <% database %>.RAW.RECORDS_PIPE TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON TASK <% database %>.PIPELINE.MERGE_CUSTOMERS TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON TASK <% database %>.PIPELINE.MERGE_LOCATIONS TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON TASK <% database %>.PIPELINE.MERGE_WEATHER TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON TASK <% database %>.PIPELINE.MERGE_AGENT_STATUS TO ROLE <% database %>_MONITOR;

GRANT OPERATE ON PIPE <% database %>.RAW.RECORDS_PIPE TO ROLE <% database %>_OPERATOR;
GRANT OPERATE ON TASK <% database %>.PIPELINE.MERGE_CUSTOMERS TO ROLE <% database %>_OPERATOR;
GRANT OPERATE ON TASK <% database %>.PIPELINE.MERGE_LOCATIONS TO ROLE <% database %>_OPERATOR;
GRANT OPERATE ON TASK <% database %>.PIPELINE.MERGE_WEATHER TO ROLE <% database %>_OPERATOR;
GRANT OPERATE ON TASK <% database %>.PIPELINE.MERGE_AGENT_STATUS TO ROLE <% database %>_OPERATOR;
