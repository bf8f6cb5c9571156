-- 00_account.sql: everything that needs ACCOUNTADMIN, and nothing else.
-- Roles and their hierarchy, the database (handed to the owner role), the S3 storage integration,
-- the email notification integration, and the account-level privileges the pipeline needs
-- (EXECUTE TASK / EXECUTE MANAGED TASK for serverless tasks, EXECUTE ALERT, integration usage).
-- Every other script runs as <database>_OWNER. Re-runnable: all objects are IF NOT EXISTS and
-- grants are idempotent. Variables: database, aws_role_arn, bucket, prefix, warehouse.
-- Never use OR REPLACE on the storage integration: it changes the external ID that the AWS role's
-- trust policy names, and unlinks the stage (see sql/README.md, "AWS side").
-- IF NOT EXISTS keeps an existing integration as it is: a changed aws_role_arn, bucket or prefix
-- is NOT applied by a re-run: sql/README.md, "Changing the bucket, prefix or role ARN", gives the
-- ALTER for each value.
USE ROLE ACCOUNTADMIN;

CREATE ROLE IF NOT EXISTS <% database %>_OWNER
    COMMENT = 'datapipe: owns every pipeline object; used by deploys, tasks and the alert';
CREATE ROLE IF NOT EXISTS <% database %>_OPERATOR
    COMMENT = 'datapipe: pauses, resumes and refreshes the pipe and tasks';
CREATE ROLE IF NOT EXISTS <% database %>_MONITOR
    COMMENT = 'datapipe: reads the MONITORING views (no raw or curated data)';
CREATE ROLE IF NOT EXISTS <% database %>_ANALYST
    COMMENT = 'datapipe: reads the CURATED tables and views';

-- Hierarchy: monitor < operator < owner < SYSADMIN; analysts report straight to SYSADMIN so an
-- analyst grant never implies operational rights.
GRANT ROLE <% database %>_MONITOR TO ROLE <% database %>_OPERATOR;
GRANT ROLE <% database %>_OPERATOR TO ROLE <% database %>_OWNER;
GRANT ROLE <% database %>_OWNER TO ROLE SYSADMIN;
GRANT ROLE <% database %>_ANALYST TO ROLE SYSADMIN;

-- The owner role gets this one database instead of CREATE DATABASE on the whole account.
CREATE DATABASE IF NOT EXISTS <% database %>
    COMMENT = 'datapipe: agent files from S3 -> raw -> curated tables, with monitoring';
GRANT OWNERSHIP ON DATABASE <% database %> TO ROLE <% database %>_OWNER COPY CURRENT GRANTS;

CREATE STORAGE INTEGRATION IF NOT EXISTS <% database %>_S3
    TYPE = EXTERNAL_STAGE
    STORAGE_PROVIDER = S3
    ENABLED = TRUE
    STORAGE_AWS_ROLE_ARN = '<% aws_role_arn %>'
    STORAGE_ALLOWED_LOCATIONS = ('s3://<% bucket %>/<% prefix %>')
    COMMENT = 'datapipe: read-only access to the agents'' landing prefix';
GRANT USAGE ON INTEGRATION <% database %>_S3 TO ROLE <% database %>_OWNER;

-- No ALLOWED_RECIPIENTS: SYSTEM$SEND_EMAIL then accepts any verified user of this account, and the
-- recipient lives in one place (10_alert.sql).
CREATE NOTIFICATION INTEGRATION IF NOT EXISTS <% database %>_EMAIL
    TYPE = EMAIL
    ENABLED = TRUE
    COMMENT = 'datapipe: email for the pipeline alert';
GRANT USAGE ON INTEGRATION <% database %>_EMAIL TO ROLE <% database %>_OWNER;

GRANT EXECUTE TASK ON ACCOUNT TO ROLE <% database %>_OWNER;
GRANT EXECUTE MANAGED TASK ON ACCOUNT TO ROLE <% database %>_OWNER;
GRANT EXECUTE ALERT ON ACCOUNT TO ROLE <% database %>_OWNER;

-- An existing warehouse for the alert's condition and for people querying the views. Tasks are
-- serverless and need none.
GRANT USAGE ON WAREHOUSE <% warehouse %> TO ROLE <% database %>_OWNER;
GRANT USAGE ON WAREHOUSE <% warehouse %> TO ROLE <% database %>_MONITOR;
GRANT USAGE ON WAREHOUSE <% warehouse %> TO ROLE <% database %>_ANALYST;
