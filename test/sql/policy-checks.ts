// Checks of two security rules over the rendered scripts (sql/README.md, "Tenant isolation" and
// "Roles and grants"), so that a new MERGE or grant cannot quietly undo them:
//   - every task body, and every CURATED view that reads RAW, takes the customer from the S3 key
//     and compares it with the record's own customer_id;
//   - the operator and monitoring roles get no grant that reads raw files or writes records, and
//     the monitoring role reads only MONITORING views.
// The executed DuckDB suite proves what the SQL does; these checks keep the rule on every statement.
import { describeStatement, type SqlStatement } from './sql-scripts.ts';

const KEY_CUSTOMER = "NULLIF(SPLIT_PART(SPLIT_PART(FILE_NAME, 'CUSTOMER=', 2), '/', 1), '')";
const RECORD_CUSTOMER = 'RECORD:CUSTOMER_ID::STRING AS RECORD_CUSTOMER_ID';

function problem(statement: SqlStatement, message: string): string {
  return `${describeStatement(statement, 70)}: ${message}`;
}

/** Statements that turn raw records into customer rows: task bodies and CURATED views over RAW. */
function readsRecordsForCustomers(code: string, database: string): boolean {
  const db = database.toUpperCase();
  if (/^CREATE (OR REPLACE )?TASK /.test(code)) return true;
  return new RegExp(`^CREATE (OR REPLACE )?VIEW ${db}\\.CURATED\\.`).test(code) && code.includes(`${db}.RAW.RECORDS`);
}

export function checkKeyDerivedCustomer(statements: SqlStatement[], database: string): string[] {
  return statements.flatMap((statement) => {
    const code = statement.code.toUpperCase();
    if (!readsRecordsForCustomers(code, database)) return [];
    const missing = [KEY_CUSTOMER, RECORD_CUSTOMER].filter((part) => !code.includes(part));
    return missing.length === 0
      ? []
      : [problem(statement, `takes customer_id from the record, not from the S3 key: needs ${missing.join(' and ')} and a comparison of the two`)];
  });
}

const FORBIDDEN_GRANTS: Array<{ role: string; pattern: RegExp; why: string }> = [
  { role: 'OPERATOR', pattern: / ON STAGE /, why: 'USAGE on the stage reads every customer\'s raw files' },
  { role: 'OPERATOR', pattern: /^GRANT (INSERT|UPDATE|DELETE|TRUNCATE|ALL)\b/, why: 'writing tables lets it inject records the merges trust' },
  { role: 'MONITOR', pattern: / ON (TABLE|STAGE|FILE FORMAT|STREAM) /, why: 'the monitoring role reads no data' },
  { role: 'MONITOR', pattern: / ON VIEW [A-Z0-9_$]+\.(?!MONITORING\.)/, why: 'the monitoring role reads MONITORING views only' },
];

export function checkRoleGrants(statements: SqlStatement[], database: string): string[] {
  const db = database.toUpperCase();
  return statements.flatMap((statement) => {
    const code = statement.code.toUpperCase();
    if (!code.startsWith('GRANT ')) return [];
    return FORBIDDEN_GRANTS.filter((rule) => code.endsWith(` TO ROLE ${db}_${rule.role}`) && rule.pattern.test(code))
      .map((rule) => problem(statement, `forbidden grant to ${db}_${rule.role}: ${rule.why}`));
  });
}
