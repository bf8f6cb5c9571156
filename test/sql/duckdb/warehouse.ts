// A Snowflake account stand-in on DuckDB for the sql/ scripts: deploy() runs the rendered
// statements (classify.ts decides executed / emulated / Snowflake-only), deliver() is an S3 object
// arriving under the stage (Snowpipe, snowpipe.ts), runTasks() is the task scheduler
// (streams-tasks.ts). Everything lives in one in-memory DuckDB database named like the rendered
// <database>, so the scripts' three-part names resolve unchanged. A deploy takes 0.2-0.7 s.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeStatement,
  loadScripts,
  renderedStatements,
  SAMPLE_VARIABLES,
  SQL_DIR,
  TEARDOWN_FILE,
  type SqlScript,
  type SqlStatement,
} from '../sql-scripts.ts';
import { classify, type Classified } from './classify.ts';
import { findLeftovers, rewriteSql, type DialectContext } from './dialect.ts';
import { EmulationError } from './emulation-error.ts';
import { HANDLERS } from './object-handlers.ts';
import type { PipeDefinition, StagedFile } from './snowpipe.ts';
import { deliverFile, type Delivery } from './snowpipe-load.ts';
import type { Sql, TaskDefinition } from './streams-tasks.ts';
import { runTask, type TaskRun } from './task-runner.ts';

export { EmulationError } from './emulation-error.ts';

export interface PipeState {
  definition: PipeDefinition;
  /** Paths loaded (or partly loaded) and when: Snowpipe's 14-day name dedup. */
  loaded: Map<string, Date>;
  stageUrl: string;
  /** Files that arrived while the pipe was paused; loaded when it resumes. */
  queued: StagedFile[];
}

/**
 * The scripts in the order sql/deploy.sh runs them (its `step <file>` lines, e.g. 06 then 09 then
 * 07), or in file order without deploy.sh. Every numbered script but the teardown, once each.
 */
export function deployOrder(): string[] {
  const numbered = loadScripts().map((s) => s.file).filter((f) => f !== TEARDOWN_FILE);
  const command = join(SQL_DIR, 'deploy.sh');
  if (!existsSync(command)) return numbered;
  const stepped = readFileSync(command, 'utf8')
    .split('\n')
    .filter((line) => /\bstep\b/.test(line) && !/^\s*#/.test(line))
    .flatMap((line) => line.match(/\b\d{2}_[a-z0-9_]+\.sql\b/g) ?? []);
  const order = [...new Set(stepped)];
  if ([...order].sort().join() !== [...numbered].sort().join()) {
    throw new Error(`sql/deploy.sh steps ${order.join(' ')}, but sql/ has ${numbered.join(' ')}: update deploy.sh or deployOrder()`);
  }
  return order;
}

/** Deploy statements in deploy order (teardown excluded), rendered like `snow sql -D`. */
export function deployStatements(variables: Readonly<Record<string, string>> = SAMPLE_VARIABLES): SqlStatement[] {
  const scripts = new Map(loadScripts().map((s) => [s.file, s]));
  return renderedStatements(deployOrder().map((file) => scripts.get(file) as SqlScript), variables);
}

export function teardownStatements(variables: Readonly<Record<string, string>> = SAMPLE_VARIABLES): SqlStatement[] {
  return renderedStatements(loadScripts().filter((s) => s.file === TEARDOWN_FILE), variables);
}

let sharedInstance: Promise<DuckDBInstance> | undefined;

export class Warehouse implements Sql {
  private closed = false;
  readonly context: DialectContext;
  readonly log: Classified[] = [];
  readonly stages = new Map<string, string>();
  readonly pipes = new Map<string, PipeState>();
  readonly tasks = new Map<string, TaskDefinition>();
  readonly procedures = new Map<string, string[]>();

  private readonly connection: DuckDBConnection;
  readonly variables: Readonly<Record<string, string>>;

  private constructor(connection: DuckDBConnection, variables: Readonly<Record<string, string>>) {
    this.connection = connection;
    this.variables = variables;
    this.context = { database: (variables.database as string).toUpperCase() };
  }

  /**
   * A fresh, empty account. The DuckDB instance is shared within a test file (starting one costs
   * more than a deploy); each warehouse gets its own connection, and a database left attached by
   * an earlier warehouse is dropped first, so no state carries over.
   */
  static async open(variables: Readonly<Record<string, string>> = SAMPLE_VARIABLES): Promise<Warehouse> {
    sharedInstance ??= DuckDBInstance.create(':memory:', { threads: '1' });
    const instance = await sharedInstance;
    const connection = await instance.connect();
    const warehouse = new Warehouse(connection, variables);
    await connection.run('USE memory');
    await connection.run(`DETACH DATABASE IF EXISTS ${warehouse.database}`);
    return warehouse;
  }

  get database(): string {
    return this.context.database;
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  }

  /** Rewrites a Snowflake query (e.g. SELECT * FROM <db>.MONITORING.PROBLEMS) and runs it. */
  async query(snowflakeSql: string): Promise<Record<string, unknown>[]> {
    return this.rows(this.translate(snowflakeSql, snowflakeSql.slice(0, 60)));
  }

  translate(code: string, where: string): string {
    const sql = rewriteSql(code, this.context);
    const leftovers = findLeftovers(sql);
    if (leftovers.length > 0) throw new EmulationError(`${where}: Snowflake syntax survived the rewrite: ${leftovers.join('; ')}\n  rewritten: ${sql}`);
    return sql;
  }

  async deploy(statements: SqlStatement[] = deployStatements(this.variables)): Promise<Classified[]> {
    const done: Classified[] = [];
    for (const statement of statements) done.push(await this.apply(statement));
    return done;
  }

  async apply(statement: SqlStatement): Promise<Classified> {
    const classified = classify(statement);
    try {
      await this.handle(classified);
    } catch (error) {
      if (error instanceof EmulationError) throw error;
      throw new EmulationError(`${describeStatement(statement)}: ${(error as Error).message}`, { cause: error });
    }
    this.log.push(classified);
    return classified;
  }

  async setClock(iso: string): Promise<void> {
    await this.run(`UPDATE ${this.database}.EMULATION.CLOCK SET now = TIMESTAMPTZ '${iso}'`);
  }

  async now(): Promise<Date> {
    const [row] = await this.rows(`SELECT strftime(now, '%Y-%m-%dT%H:%M:%S.%gZ') AS now FROM ${this.database}.EMULATION.CLOCK`);
    return new Date(String(row?.now));
  }

  /** An S3 object created under the bucket: every auto-ingest pipe on a stage containing it may load it. */
  async deliver(key: string, body: Buffer, lastModified?: Date): Promise<Delivery[]> {
    const url = `s3://${this.variables.bucket}/${key}`;
    const deliveries: Delivery[] = [];
    for (const pipe of this.pipes.values()) {
      if (!url.startsWith(pipe.stageUrl)) continue;
      const file = { path: url.slice(pipe.stageUrl.length), body, lastModified: lastModified ?? (await this.now()) };
      const [state] = await this.rows(`SELECT paused FROM ${this.database}.EMULATION.PIPES WHERE name = '${pipe.definition.name}'`);
      if (state?.paused === true) {
        pipe.queued.push(file);
        deliveries.push({ pipe: pipe.definition.name, path: file.path, status: 'queued (pipe paused)', rowsLoaded: 0, errors: 0 });
      } else deliveries.push(await deliverFile(this, pipe, file));
    }
    return deliveries;
  }

  /** One scheduler pass: each started task whose stream has data runs once, in creation order. */
  async runTasks(): Promise<TaskRun[]> {
    const runs: TaskRun[] = [];
    for (const task of this.tasks.values()) {
      const [state] = await this.rows(`SELECT state FROM ${this.database}.EMULATION.TASKS WHERE name = '${task.name}'`);
      if (state?.state !== 'started' || !(await this.streamsHaveData(task))) continue;
      runs.push(await runTask(this, task));
    }
    return runs;
  }

  /** runTasks(), failing on any task run that did not succeed (scenarios expect clean merges). */
  async mergeAll(): Promise<TaskRun[]> {
    const runs = await this.runTasks();
    const failed = runs.filter((r) => r.state !== 'SUCCEEDED');
    if (failed.length > 0) throw new Error(`task runs failed:\n${failed.map((r) => `${r.task}: ${r.error}`).join('\n')}`);
    return runs;
  }

  async streamsHaveData(task: TaskDefinition): Promise<boolean> {
    for (const stream of task.streams) {
      const [row] = await this.rows(`SELECT count(*) AS n FROM ${stream}`);
      if (Number(row?.n) > 0) return true;
    }
    return false;
  }

  /** Every table's rows (scripts' and emulation state), for "a second deploy changes nothing". */
  async snapshot(): Promise<Record<string, unknown[]>> {
    const tables = await this.rows(`SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = '${this.database}' ORDER BY ALL`);
    const out: Record<string, unknown[]> = {};
    for (const t of tables) {
      const name = `${this.database}.${String(t.schema_name)}.${String(t.table_name)}`;
      out[name] = await this.rows(`SELECT * FROM ${name} ORDER BY ALL`);
    }
    return out;
  }

  /** Drops the emulated account and closes this connection (the shared instance stays). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.run('USE memory');
    await this.connection.run(`DETACH DATABASE IF EXISTS ${this.database}`);
    this.connection.closeSync();
  }

  private async handle({ statement, handler }: Classified): Promise<void> {
    await HANDLERS[handler](this, statement);
  }
}
