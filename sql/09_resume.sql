-- 09_resume.sql: resumes the merge tasks. Tasks are created suspended and OR REPLACE suspends
-- them again, so nothing merges until this runs. sql/deploy.sh runs it right after 06_tasks.sql
-- (before 07/08, so a failure there cannot leave the pipeline stopped) and once more on exit when
-- anything after 06 started failed. MONITORING.TASKS / PROBLEMS report a task left suspended. The tasks are independent (no DAG), so
-- the order does not matter. Re-runnable: resuming a started task is a no-op. The pipe is not
-- touched here: if an operator paused it, that was deliberate.
USE ROLE <% database %>_OWNER;

ALTER TASK <% database %>.PIPELINE.MERGE_CUSTOMERS RESUME;
ALTER TASK <% database %>.PIPELINE.MERGE_LOCATIONS RESUME;
ALTER TASK <% database %>.PIPELINE.MERGE_WEATHER RESUME;
ALTER TASK <% database %>.PIPELINE.MERGE_AGENT_STATUS RESUME;
