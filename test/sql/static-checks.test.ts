// Offline checks that the scripts in sql/ deploy in order and re-run safely. Each rule is also
// run against a small broken script, so a checker that silently found nothing would fail here.
import { describe, expect, it } from 'vitest';
import {
  analyzeScripts,
  checkCorrelatedSubqueries,
  checkCreateRules,
  checkReferencesDefinedEarlier,
  checkStreamsHaveOneTask,
  checkTasksAndAlertsResumed,
  checkTeardown,
  findCreates,
  type ScriptSet,
} from './static-analysis.ts';
import { checkKeyDerivedCustomer, checkRoleGrants } from './policy-checks.ts';
import { loadScripts, renderedStatements, SAMPLE_VARIABLES, splitStatements, TEARDOWN_FILE } from './sql-scripts.ts';

function realScripts(): ScriptSet {
  const scripts = loadScripts();
  return {
    deploy: renderedStatements(scripts.filter((s) => s.file !== TEARDOWN_FILE)),
    teardown: renderedStatements(scripts.filter((s) => s.file === TEARDOWN_FILE)),
    database: SAMPLE_VARIABLES.database as string,
  };
}

const statements = (text: string) => splitStatements('bad.sql', text);

describe('sql/ static checks', () => {
  it('finds no problem in the real scripts', () => {
    const problems = analyzeScripts(realScripts());
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('takes the customer from the S3 key in every merge and grants the operator and monitor nothing that reads or writes data', () => {
    const { deploy, database } = realScripts();
    const problems = [...checkKeyDerivedCustomer(deploy, database), ...checkRoleGrants(deploy, database)];
    expect(problems, problems.join('\n')).toEqual([]);
    const guarded = deploy.filter((s) => /^CREATE OR REPLACE (TASK|VIEW \S+\.CURATED\.AGENT_CYCLES)/i.test(s.code));
    expect(guarded).toHaveLength(5);
  });

  it('sees the objects the pipeline is made of', () => {
    const kinds = findCreates(realScripts().deploy).map((c) => `${c.kind} ${c.name.split('.').slice(1).join('.')}`);
    expect(kinds).toEqual(expect.arrayContaining([
      'PIPE RAW.RECORDS_PIPE',
      'TABLE RAW.RECORDS',
      'STREAM PIPELINE.RAW_TO_CUSTOMERS',
      'STREAM PIPELINE.RAW_TO_LOCATIONS',
      'STREAM PIPELINE.RAW_TO_WEATHER',
      'STREAM PIPELINE.RAW_TO_AGENT_STATUS',
      'TASK PIPELINE.MERGE_WEATHER',
      'TABLE CURATED.WEATHER_OBSERVATIONS',
      'TABLE CURATED.AGENT_STATUS',
      'VIEW MONITORING.FRESHNESS',
      'ALERT MONITORING.PIPELINE_ALERT',
    ]));
  });
});

describe('the checks catch broken scripts', () => {
  it('rejects OR REPLACE on stateful objects and CREATE without IF NOT EXISTS', () => {
    const problems = checkCreateRules(statements(
      'CREATE OR REPLACE TABLE D.S.T (a INT); CREATE STREAM D.S.X ON TABLE D.S.T; CREATE VIEW D.S.V AS SELECT 1;',
    ));
    expect(problems).toEqual([
      expect.stringContaining('OR REPLACE on a stateful TABLE'),
      expect.stringContaining('STREAM must be created IF NOT EXISTS'),
      expect.stringContaining('plain CREATE VIEW fails on the second deploy'),
    ]);
  });

  it('rejects a reference to an object created later or never', () => {
    const problems = checkReferencesDefinedEarlier(statements(
      'CREATE DATABASE IF NOT EXISTS D; CREATE VIEW D.S.V AS SELECT * FROM D.S.T; CREATE SCHEMA IF NOT EXISTS D.S; GRANT ROLE D_OWNER TO ROLE SYSADMIN;',
    ), 'D');
    expect(problems).toEqual([
      expect.stringContaining('creates D.S.V in D.S, which no earlier statement creates'),
      expect.stringContaining('uses D.S.T, which no earlier statement creates'),
      expect.stringContaining('uses D_OWNER, which no earlier statement creates'),
    ]);
  });

  it('rejects a stream shared by two tasks, read elsewhere, or not awaited in WHEN', () => {
    const problems = checkStreamsHaveOneTask(statements(`
      CREATE STREAM IF NOT EXISTS D.P.S ON TABLE D.R.T APPEND_ONLY = TRUE;
      CREATE OR REPLACE TASK D.P.A WHEN SYSTEM$STREAM_HAS_DATA('D.P.S') AS INSERT INTO D.C.X SELECT * FROM D.P.S;
      CREATE OR REPLACE TASK D.P.B AS INSERT INTO D.C.Y SELECT * FROM D.P.S;
      INSERT INTO D.C.Z SELECT * FROM D.P.S;
    `), 'D');
    expect(problems).toEqual([
      expect.stringContaining('consumed by exactly one task, found 2 (D.P.A, D.P.B)'),
      expect.stringContaining("task reads D.P.S but its WHEN does not wait on SYSTEM$STREAM_HAS_DATA('D.P.S')"),
      expect.stringContaining('reads D.P.S outside its task'),
    ]);
  });

  it('rejects a task that is never resumed, or replaced after its resume', () => {
    const problems = checkTasksAndAlertsResumed(statements(`
      CREATE OR REPLACE TASK D.P.A AS SELECT 1;
      CREATE OR REPLACE TASK D.P.B AS SELECT 1;
      ALTER TASK D.P.B RESUME;
      CREATE OR REPLACE TASK D.P.B AS SELECT 2;
    `));
    expect(problems).toEqual([
      expect.stringContaining("add 'ALTER TASK D.P.A RESUME' after it"),
      expect.stringContaining("add 'ALTER TASK D.P.B RESUME' after it"),
    ]);
  });

  it('rejects a teardown that misses or adds an account-level object', () => {
    const problems = checkTeardown({
      database: 'D',
      deploy: statements('CREATE ROLE IF NOT EXISTS D_OWNER; CREATE DATABASE IF NOT EXISTS D;'),
      teardown: statements('USE ROLE ACCOUNTADMIN; DROP DATABASE IF EXISTS D; DROP ROLE IF EXISTS D_OTHER; DELETE FROM D.S.T;'),
    });
    expect(problems).toEqual([
      expect.stringContaining('teardown may only USE ROLE and DROP'),
      'teardown does not drop ROLE D_OWNER, which the deploy creates',
      'teardown drops ROLE D_OTHER, which the deploy does not create',
    ]);
  });

  it('rejects a correlated subquery outside WHERE and accepts one inside WHERE (the old FRESHNESS shape)', () => {
    const problems = checkCorrelatedSubqueries(statements(`
      CREATE OR REPLACE VIEW D.M.F AS
      WITH announced AS (SELECT a.customer_id, a.location_id FROM D.C.A AS a)
      SELECT e.customer_id,
          e.location_id IN (SELECT x.location_id FROM announced AS x WHERE x.customer_id = e.customer_id) AS announced_by_agent
      FROM D.C.E AS e;
      SELECT l.id FROM D.C.L AS l JOIN D.C.K AS k ON k.id = (SELECT MAX(z.id) FROM D.C.Z AS z WHERE z.k = l.id);
      SELECT COALESCE((SELECT MAX(z.v) FROM D.C.Z z WHERE z.k = l.id), 0) FROM D.C.L l;
      SELECT l.id FROM D.C.L AS l WHERE EXISTS (SELECT 1 FROM D.C.Z AS z WHERE z.k = l.id) AND l.id IN (SELECT y.id FROM D.C.Y AS y);
      SELECT (SELECT MAX(z.v) FROM D.C.Z AS z) AS newest, l.record:a.b::STRING FROM D.C.L AS l;
    `));
    expect(problems).toEqual([
      expect.stringMatching(/uses E of the outer query\) in SELECT; .*rewrite it as a join/),
      expect.stringContaining('uses L of the outer query) in ON'),
      expect.stringContaining('uses L of the outer query) in SELECT'),
    ]);
  });

  it('rejects a merge that trusts the record customer_id, and the grants issue 8 removed', () => {
    const key = "NULLIF(SPLIT_PART(SPLIT_PART(file_name, 'customer=', 2), '/', 1), '')";
    const merges = checkKeyDerivedCustomer(statements(`
      CREATE OR REPLACE TASK D.PIPELINE.T AS MERGE INTO D.CURATED.X AS t USING (SELECT record:customer_id::STRING AS customer_id FROM D.PIPELINE.S) AS s ON t.c = s.c WHEN NOT MATCHED THEN INSERT (c) VALUES (s.c);
      CREATE OR REPLACE TASK D.PIPELINE.U AS MERGE INTO D.CURATED.X AS t USING (SELECT ${key} AS customer_id, record:customer_id::STRING AS record_customer_id FROM D.PIPELINE.S) AS s ON t.c = s.c WHEN NOT MATCHED THEN INSERT (c) VALUES (s.c);
      CREATE OR REPLACE VIEW D.CURATED.V AS SELECT record:customer_id::STRING AS customer_id FROM D.RAW.RECORDS;
      CREATE OR REPLACE VIEW D.MONITORING.M AS SELECT record:customer_id::STRING AS customer_id FROM D.RAW.RECORDS;
    `), 'D');
    expect(merges).toEqual([
      expect.stringMatching(/^bad\.sql:2 CREATE OR REPLACE TASK D\.PIPELINE\.T .*takes customer_id from the record/),
      expect.stringMatching(/^bad\.sql:4 CREATE OR REPLACE VIEW D\.CURATED\.V .*takes customer_id from the record/),
    ]);
    const grants = checkRoleGrants(statements(`
      GRANT USAGE ON STAGE D.RAW.LANDING TO ROLE D_OPERATOR;
      GRANT INSERT ON TABLE D.RAW.RECORDS TO ROLE D_OPERATOR;
      GRANT OPERATE ON PIPE D.RAW.RECORDS_PIPE TO ROLE D_OPERATOR;
      GRANT SELECT ON TABLE D.RAW.RECORDS TO ROLE D_MONITOR;
      GRANT SELECT ON VIEW D.CURATED.WEATHER_VALUES TO ROLE D_MONITOR;
      GRANT SELECT ON VIEW D.MONITORING.PROBLEMS TO ROLE D_MONITOR;
    `), 'D');
    expect(grants).toEqual([
      expect.stringContaining("forbidden grant to D_OPERATOR: USAGE on the stage reads every customer's raw files"),
      expect.stringContaining('forbidden grant to D_OPERATOR: writing tables'),
      expect.stringContaining('forbidden grant to D_MONITOR: the monitoring role reads no data'),
      expect.stringContaining('forbidden grant to D_MONITOR: the monitoring role reads MONITORING views only'),
    ]);
  });
});
