// A thin client for the live deploy test: connects with SNOWFLAKE_* variables, runs statements one
// at a time (as `snow sql` does after splitting), and deploys/tears down the sql/ scripts into a
// throwaway database. Nothing here runs unless those variables are set.
import snowflake from 'snowflake-sdk';
import { loadScripts, renderTemplate, splitStatements, type SqlScript } from './sql-scripts.ts';

export interface LiveConfig {
  account: string;
  username: string;
  password?: string;
  privateKeyPath?: string;
  warehouse: string;
  role?: string;
}

/** The connection settings from the environment, or the names of the variables that are missing. */
export function readLiveConfig(env: NodeJS.ProcessEnv = process.env): LiveConfig | { missing: string[] } {
  const missing = ['SNOWFLAKE_ACCOUNT', 'SNOWFLAKE_USER', 'SNOWFLAKE_WAREHOUSE'].filter((name) => !env[name]);
  if (!env.SNOWFLAKE_PASSWORD && !env.SNOWFLAKE_PRIVATE_KEY_PATH) missing.push('SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH');
  if (missing.length > 0) return { missing };
  return {
    account: env.SNOWFLAKE_ACCOUNT as string,
    username: env.SNOWFLAKE_USER as string,
    password: env.SNOWFLAKE_PASSWORD,
    privateKeyPath: env.SNOWFLAKE_PRIVATE_KEY_PATH,
    warehouse: env.SNOWFLAKE_WAREHOUSE as string,
    role: env.SNOWFLAKE_ROLE,
  };
}

export type Row = Record<string, unknown>;

export interface LiveSession {
  run(sqlText: string): Promise<Row[]>;
  close(): Promise<void>;
}

export async function openSession(config: LiveConfig): Promise<LiveSession> {
  snowflake.configure({ logLevel: 'ERROR' });
  const connection = snowflake.createConnection({
    account: config.account,
    username: config.username,
    warehouse: config.warehouse,
    ...(config.role ? { role: config.role } : {}),
    ...(config.privateKeyPath
      ? { authenticator: 'SNOWFLAKE_JWT', privateKeyPath: config.privateKeyPath }
      : { password: config.password }),
  });
  await connection.connectAsync();
  const run = (sqlText: string) =>
    new Promise<Row[]>((resolve, reject) => {
      connection.execute({
        sqlText,
        complete: (error, _statement, rows) => {
          // The driver's message names the statement and the problem; never the credentials.
          if (error) reject(new Error(`${error.message}\n  in: ${sqlText.slice(0, 300)}`, { cause: error }));
          else resolve((rows ?? []) as Row[]);
        },
      });
    });
  const close = () => new Promise<void>((resolve) => connection.destroy(() => resolve()));
  return { run, close };
}

/** Runs the given scripts statement by statement, rendered with the variables. */
export async function runScripts(session: LiveSession, scripts: SqlScript[], variables: Record<string, string>): Promise<void> {
  for (const script of scripts) {
    for (const statement of splitStatements(script.file, renderTemplate(script.text, variables, script.file))) {
      await session.run(statement.text);
    }
  }
}

export function scriptsNamed(predicate: (file: string) => boolean): SqlScript[] {
  return loadScripts().filter((script) => predicate(script.file));
}

/** The pipe's COPY INTO statement from 02_ingest.sql, rendered, reading from another stage. */
export function pipeCopyFrom(stage: string, variables: Record<string, string>): string {
  const [ingest] = scriptsNamed((file) => file === '02_ingest.sql');
  if (!ingest) throw new Error('sql/02_ingest.sql not found');
  const pipe = splitStatements(ingest.file, renderTemplate(ingest.text, variables)).find((s) => /^CREATE PIPE/i.test(s.code));
  const copyAt = pipe?.text.search(/^COPY INTO/m) ?? -1;
  if (!pipe || copyAt < 0) throw new Error('02_ingest.sql: no CREATE PIPE ... AS COPY INTO found');
  const landing = `@${variables.database}.RAW.LANDING`;
  return pipe.text.slice(copyAt).replace(landing, `@${stage}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
