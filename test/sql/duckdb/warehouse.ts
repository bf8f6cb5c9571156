// A Snowflake account stand-in on DuckDB for the sql/ scripts: deploy() runs the rendered
// statements (classify.ts decides executed / emulated / Snowflake-only), deliver() is an S3 object
// arriving under the stage (Snowpipe, snowpipe.ts), runTasks() is the task scheduler
// (streams-tasks.ts). Everything lives in one in-memory DuckDB database named like the rendered
// <database>, so the scripts' three-part names resolve unchanged. Runs in milliseconds.
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
import { emulationCatalog } from './emulation-catalog.ts';
import { parsePipe, type PipeDefinition } from './snowpipe.ts';
import { deliverFile, type Delivery } from './snowpipe-load.ts';
import { parseProcedure, parseStream, parseTask, streamViewSql, type Sql, type TaskDefinition } from './streams-tasks.ts';
import { runTask, type TaskRun } from './task-runner.ts';

/** A problem in the harness or a Snowflake construct it cannot run: fails the test, never a task. */
export class EmulationError extends Error {}

export interface PipeState {
  definition: PipeDefinition;
  /** Paths loaded (or partly loaded) and when: Snowpipe's 14-day name dedup. */
  loaded: Map<string, Date>;
  stageUrl: string;
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

export class Warehouse implements Sql {
  readonly context: DialectContext;
  readonly log: Classified[] = [];
  readonly stages = new Map<string, string>();
  readonly pipes = new Map<string, PipeState>();
  readonly tasks = new Map<string, TaskDefinition>();
  readonly procedures = new Map<string, string[]>();

  private readonly instance: DuckDBInstance;
  private readonly connection: DuckDBConnection;
  readonly variables: Readonly<Record<string, string>>;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection, variables: Readonly<Record<string, string>>) {
    this.instance = instance;
    this.connection = connection;
    this.variables = variables;
    this.context = { database: (variables.database as string).toUpperCase() };
  }

  static async open(variables: Readonly<Record<string, string>> = SAMPLE_VARIABLES): Promise<Warehouse> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    return new Warehouse(instance, await instance.connect(), variables);
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
      if (url.startsWith(pipe.stageUrl)) deliveries.push(await deliverFile(this, pipe, { path: url.slice(pipe.stageUrl.length), body, lastModified: lastModified ?? (await this.now()) }));
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

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async handle({ statement, handler }: Classified): Promise<void> {
    const code = statement.code;
    const db = this.database;
    switch (handler) {
      case 'skip':
        return;
      case 'execute':
        await this.run(this.translate(code, describeStatement(statement)));
        return;
      case 'attach-database':
        await this.attach(/^CREATE DATABASE (?:IF NOT EXISTS )?(\w+)/i.exec(code)?.[1] ?? '');
        return;
      case 'detach-database':
        await this.run(`USE memory`);
        await this.run(`DETACH DATABASE IF EXISTS ${/^DROP DATABASE (?:IF EXISTS )?(\w+)/i.exec(code)?.[1] ?? ''}`);
        return;
      case 'file-format':
        return;
      case 'stage':
        this.registerStage(code);
        return;
      case 'pipe':
        await this.registerPipe(code);
        return;
      case 'stream':
        await this.createStream(code);
        return;
      case 'task':
        await this.createTask(code);
        return;
      case 'alter-task':
        await this.alterTask(code);
        return;
      case 'alter-pipe': {
        const match = /^ALTER PIPE (?:IF EXISTS )?(\S+) SET PIPE_EXECUTION_PAUSED = (TRUE|FALSE)$/i.exec(code);
        if (!match) throw new EmulationError(`${describeStatement(statement)}: only SET PIPE_EXECUTION_PAUSED is emulated`);
        await this.run(`UPDATE ${db}.EMULATION.PIPES SET paused = ${match[2]} WHERE name = '${(match[1] as string).toUpperCase()}'`);
        return;
      }
      case 'execute-task': {
        const task = this.tasks.get((/^EXECUTE TASK (\S+)$/i.exec(code)?.[1] ?? '').toUpperCase());
        if (!task) throw new EmulationError(`${describeStatement(statement)}: no such task`);
        await runTask(this, task);
        return;
      }
      case 'procedure': {
        const procedure = parseProcedure(statement.text);
        this.procedures.set(procedure.name, procedure.statements);
        return;
      }
      case 'call':
        throw new EmulationError(`${describeStatement(statement)}: a CALL outside a task is not part of a deploy`);
    }
  }

  private async attach(name: string): Promise<void> {
    if (name.toUpperCase() !== this.database) throw new EmulationError(`CREATE DATABASE ${name}: the harness emulates only <database> = ${this.database}`);
    await this.run(`ATTACH IF NOT EXISTS ':memory:' AS ${this.database}`);
    await this.run(`USE ${this.database}`);
    for (const sql of emulationCatalog(this.database)) await this.run(sql);
  }

  private registerStage(code: string): void {
    const match = /^CREATE (?:OR REPLACE )?STAGE (?:IF NOT EXISTS )?(\S+) .*?\bURL = '([^']+)'/i.exec(code);
    if (!match) throw new EmulationError(`cannot read CREATE STAGE <name> URL = '...' from: ${code.slice(0, 80)}`);
    const name = (match[1] as string).toUpperCase();
    if (!this.stages.has(name) || !/IF NOT EXISTS/i.test(code)) this.stages.set(name, match[2] as string);
  }

  private async registerPipe(code: string): Promise<void> {
    const definition = parsePipe(code, this.context);
    if (this.pipes.has(definition.name) && /^CREATE PIPE IF NOT EXISTS/i.test(code)) return;
    const stageUrl = this.stages.get(definition.stage);
    if (!stageUrl) throw new EmulationError(`pipe ${definition.name} reads stage ${definition.stage}, which no earlier statement creates`);
    // Re-creating a pipe drops its load history (sql/README.md, Upgrade): a fresh dedup map.
    this.pipes.set(definition.name, { definition, loaded: new Map(), stageUrl });
    await this.run(`INSERT OR REPLACE INTO ${this.database}.EMULATION.PIPES VALUES ('${definition.name}', FALSE, 'arn:aws:sqs:eu-north-1:000000000000:sf-snowpipe-emulated', NULL, NULL, NULL)`);
  }

  private async createStream(code: string): Promise<void> {
    const stream = parseStream(code);
    const [existing] = await this.rows(`SELECT 1 AS x FROM ${this.database}.EMULATION.STREAMS WHERE name = '${stream.name}'`);
    if (existing && stream.ifNotExists) return;
    const offset = stream.showInitialRows ? '-1' : `(SELECT coalesce(max(rowid), -1) FROM ${stream.table})`;
    await this.run(`INSERT OR REPLACE INTO ${this.database}.EMULATION.STREAMS VALUES ('${stream.name}', '${stream.table}', ${offset}, sf_current_timestamp(), sf_current_timestamp())`);
    await this.run(streamViewSql(stream, this.database));
  }

  private async createTask(code: string): Promise<void> {
    const task = parseTask(code);
    for (const stream of task.streams) {
      const [row] = await this.rows(`SELECT 1 AS x FROM ${this.database}.EMULATION.STREAMS WHERE name = '${stream}'`);
      if (!row) throw new EmulationError(`task ${task.name} waits on ${stream}, which no earlier statement creates`);
    }
    this.translate(task.body, `task ${task.name}`);
    this.tasks.set(task.name, task);
    const quote = (s: string) => s.replace(/'/g, "''");
    // Created, and re-created by OR REPLACE, suspended (sql-reference/sql/create-task).
    await this.run(`INSERT OR REPLACE INTO ${this.database}.EMULATION.TASKS VALUES ('${task.name}', 'suspended', 0, '${quote(task.body)}', '${quote(task.condition)}')`);
  }

  private async alterTask(code: string): Promise<void> {
    const match = /^ALTER TASK (?:IF EXISTS )?(\S+) (RESUME|SUSPEND)$/i.exec(code);
    if (!match) throw new EmulationError(`only ALTER TASK ... RESUME | SUSPEND is emulated: ${code.slice(0, 80)}`);
    const name = (match[1] as string).toUpperCase();
    if (!this.tasks.has(name)) throw new Error(`Task '${name}' does not exist or not authorized.`);
    const state = (match[2] as string).toUpperCase() === 'RESUME' ? 'started' : 'suspended';
    await this.run(`UPDATE ${this.database}.EMULATION.TASKS SET state = '${state}', consecutive_failures = 0 WHERE name = '${name}'`);
  }
}
