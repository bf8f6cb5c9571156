-- 99_teardown.sql: removes exactly what 00-10 created, and nothing else (not the warehouse, not
-- the S3 bucket). DESTROYS the raw and curated data: the files in S3 stay and can be loaded again
-- by a new deploy (ALTER PIPE ... REFRESH or COPY INTO). Within the database's retention time
-- UNDROP DATABASE brings it back; integrations and roles must be re-created by 00_account.sql.
-- Before running: remove the S3 event notification that targets the pipe's queue (README,
-- "Teardown"). Run as ACCOUNTADMIN. Re-runnable: everything is IF EXISTS.
USE ROLE ACCOUNTADMIN;

-- Dropping the database drops the pipe (and its queue), streams, tasks, alert, views and tables.
DROP DATABASE IF EXISTS <% database %>;
DROP STORAGE INTEGRATION IF EXISTS <% database %>_S3;
DROP NOTIFICATION INTEGRATION IF EXISTS <% database %>_EMAIL;
DROP ROLE IF EXISTS <% database %>_ANALYST;
DROP ROLE IF EXISTS <% database %>_MONITOR;
DROP ROLE IF EXISTS <% database %>_OPERATOR;
DROP ROLE IF EXISTS <% database %>_OWNER;
