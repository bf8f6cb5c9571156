-- 10_alert.sql (optional): email when MONITORING.PROBLEMS is not empty, checked hourly.
-- The recipient must be a verified user email of this Snowflake account. The alert keeps mailing
-- every hour while a problem lasts; that is deliberate (nothing is lost silently). Stateless: OR
-- REPLACE applies a new recipient or schedule, and the RESUME below starts it (alerts are created
-- suspended). Variables: database, warehouse, alert_email. Skip this file to deploy without email.
USE ROLE <% database %>_OWNER;

CREATE OR REPLACE ALERT <% database %>.MONITORING.PIPELINE_ALERT
    WAREHOUSE = <% warehouse %>
    SCHEDULE = '60 MINUTE'
    COMMENT = 'datapipe: mails when MONITORING.PROBLEMS has rows'
    IF (EXISTS (SELECT 1 FROM <% database %>.MONITORING.PROBLEMS))
    THEN CALL SYSTEM$SEND_EMAIL(
        '<% database %>_EMAIL',
        '<% alert_email %>',
        'datapipe: the <% database %> pipeline needs attention',
        'One or more checks failed. Run SELECT * FROM <% database %>.MONITORING.PROBLEMS as <% database %>_MONITOR for details; sql/README.md, section Monitoring, explains each area.'
    );

ALTER ALERT <% database %>.MONITORING.PIPELINE_ALERT RESUME;
