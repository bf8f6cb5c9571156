-- 09_resume.sql: the last step of every deploy. Tasks are created suspended and OR REPLACE
-- suspends them again, so nothing merges until this runs. The tasks are independent (no DAG), so
-- the order does not matter. Re-runnable: resuming a started task is a no-op. The pipe is not
-- touched here: if an operator paused it, that was deliberate.
USE ROLE <% database %>_OWNER;

ALTER TASK <% database %>.PIPELINE.MERGE_CUSTOMERS RESUME;
ALTER TASK <% database %>.PIPELINE.MERGE_LOCATIONS RESUME;
ALTER TASK <% database %>.PIPELINE.MERGE_WEATHER RESUME;
ALTER TASK <% database %>.PIPELINE.MERGE_AGENT_STATUS RESUME;
