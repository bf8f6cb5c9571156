-- 08_grants.sql: object grants from the owner role to the operator, monitoring and analyst roles.
-- Least privilege: analysts see CURATED only; the monitoring role sees MONITORING views and may
-- monitor the pipe and tasks, but reads no data; the operator (who also holds the monitoring
-- role) may pause/resume/refresh the pipe and suspend/resume/execute the tasks. A refresh loads
-- files as the operator, hence USAGE on the stage and file format and INSERT on RAW.RECORDS.
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
GRANT SELECT ON VIEW <% database %>.MONITORING.STREAMS TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.RAW_REJECTS TO ROLE <% database %>_MONITOR;
GRANT SELECT ON VIEW <% database %>.MONITORING.PROBLEMS TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON PIPE <% database %>.RAW.RECORDS_PIPE TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON TASK <% database %>.PIPELINE.MERGE_CUSTOMERS TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON TASK <% database %>.PIPELINE.MERGE_LOCATIONS TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON TASK <% database %>.PIPELINE.MERGE_WEATHER TO ROLE <% database %>_MONITOR;
GRANT MONITOR ON TASK <% database %>.PIPELINE.MERGE_AGENT_STATUS TO ROLE <% database %>_MONITOR;

GRANT OPERATE ON PIPE <% database %>.RAW.RECORDS_PIPE TO ROLE <% database %>_OPERATOR;
GRANT USAGE ON STAGE <% database %>.RAW.LANDING TO ROLE <% database %>_OPERATOR;
GRANT USAGE ON FILE FORMAT <% database %>.RAW.NDJSON TO ROLE <% database %>_OPERATOR;
GRANT INSERT ON TABLE <% database %>.RAW.RECORDS TO ROLE <% database %>_OPERATOR;
GRANT OPERATE ON TASK <% database %>.PIPELINE.MERGE_CUSTOMERS TO ROLE <% database %>_OPERATOR;
GRANT OPERATE ON TASK <% database %>.PIPELINE.MERGE_LOCATIONS TO ROLE <% database %>_OPERATOR;
GRANT OPERATE ON TASK <% database %>.PIPELINE.MERGE_WEATHER TO ROLE <% database %>_OPERATOR;
GRANT OPERATE ON TASK <% database %>.PIPELINE.MERGE_AGENT_STATUS TO ROLE <% database %>_OPERATOR;
