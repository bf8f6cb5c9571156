// Wires the stages together from a validated config: the only place where sources, spool, sinks
// and state meet. Each stage gets its own config section, a child logger and its clients.
import { join } from 'node:path';
import type { AgentConfig } from '../config/types.ts';
import { createLogger, type AgentLogger } from '../log/logger.ts';
import { createUndiciDispatcher, describeProxy, expandProxySetting, resolveProxy } from '../net/index.ts';
import { createOpenMeteoSource, type OpenMeteoSource } from '../sources/open-meteo/index.ts';
import { createS3Sink, loadCredentialsFile, type S3Sink } from '../sinks/s3/sink.ts';
import { s3EndpointUrl } from '../sinks/s3/endpoint.ts';
import { createNodeHttpHandler } from '../sinks/s3/node-http-handler.ts';
import { createRolesAnywhereCredentials, describeRolesAnywhereSource } from '../sinks/s3/roles-anywhere/index.ts';
import { createSpool, type Spool } from '../spool/spool.ts';
import { acquireInstanceLock } from '../state/instance-lock.ts';
import { createStatusStore, type StatusStore } from '../state/status-store.ts';
import { AGENT_VERSION, agentIdentity } from '../version.ts';
import { runCollectCycle, type CycleResult } from './collect.ts';
import { drainDump, type DrainResult } from './drain.ts';
import { recoverStrandedTemp } from './recover-temp.ts';
import { LogEvents } from '../log/events.ts';

export interface Runtime {
  config: AgentConfig;
  logger: AgentLogger;
  spool: Spool;
  store: StatusStore;
  source: OpenMeteoSource;
  sink: S3Sink;
  collect(signal?: AbortSignal): Promise<CycleResult>;
  drain(signal?: AbortSignal): Promise<DrainResult>;
  /** Moves files a crash or failure left in temp/ to dump/, their observations remembered; logs what it did. */
  recover(): Promise<void>;
  close(): Promise<void>;
}

export async function createRuntime(config: AgentConfig, options: { console: boolean }): Promise<Runtime> {
  const logger = createLogger({ dir: config.logging.dir, level: config.logging.level, keepDays: config.logging.keepDays, console: options.console });
  const s3Url = s3EndpointUrl(config.s3);
  // proxy = system / pac+...: one decision per target, made here for both clients.
  const expanded = await expandProxySetting(config.network, [config.openMeteo.url, s3Url]);
  const [openMeteoNetwork, s3Network] = expanded.networks as [AgentConfig['network'], AgentConfig['network']];
  for (const warning of expanded.warnings) logger.child('network').warn(LogEvents.proxyNotApplied, { detail: warning });
  const dispatcher = await createUndiciDispatcher(openMeteoNetwork, config.openMeteo.url);
  const requestHandler = await createNodeHttpHandler(s3Network, s3Url, { requestTimeoutMs: 60_000, connectionTimeoutMs: 10_000 });
  logger.child('network').debug(LogEvents.networkSettings, {
    proxy_setting: expanded.source,
    open_meteo_proxy: describeProxy(resolveProxy(config.openMeteo.url, openMeteoNetwork)),
    s3_proxy: describeProxy(resolveProxy(s3Url, s3Network)),
    ca_file: config.network.caFile,
  });

  let credentials;
  let rolesAnywhereHandler: { destroy(): void } | undefined;
  let credentialsSource: string | undefined;
  if (config.rolesAnywhere) {
    const rolesAnywhere = await createRolesAnywhereCredentials(config.rolesAnywhere, config.network, logger.child('roles-anywhere'));
    credentials = rolesAnywhere.provider;
    rolesAnywhereHandler = rolesAnywhere.requestHandler;
    credentialsSource = describeRolesAnywhereSource(config.rolesAnywhere);
  } else if (config.s3.credentialsFile) {
    const loaded = await loadCredentialsFile(config.s3.credentialsFile);
    credentials = loaded.credentials;
    for (const warning of loaded.warnings) logger.child('s3').warn(LogEvents.credentialsFileWarning(warning), { file: config.s3.credentialsFile });
  }

  const spool = createSpool(config.storage.dir);
  await spool.prepare();
  const store = createStatusStore(config.storage.dir, AGENT_VERSION);
  const source = createOpenMeteoSource({ config: config.openMeteo, logger: logger.child('open-meteo'), dispatcher, stateDir: join(config.storage.dir, 'state') });
  const s3Proxy = describeProxy(resolveProxy(s3Url, s3Network));
  const sink = createS3Sink({ config: config.s3, logger: logger.child('s3'), requestHandler, proxy: s3Proxy, ...(credentials ? { credentials } : {}), ...(credentialsSource ? { credentialsSource } : {}) });
  const identity = agentIdentity();

  return {
    config,
    logger,
    spool,
    store,
    source,
    sink,
    // A file an earlier cycle left in temp/ (a failure after it was written) goes to the dump
    // before this cycle polls, so its observations are not written again and it is uploaded.
    collect: async (signal) => {
      await recoverStrandedTemp({ spool, store, logger: logger.child('spool') });
      return runCollectCycle({ config, source, sink, spool, store, logger: logger.child('collect'), identity }, signal);
    },
    drain: (signal) => drainDump({ sink, spool, store, logger: logger.child('drain'), prefix: config.s3.prefix, customerId: config.customer.id }, signal),
    recover: () => recoverStrandedTemp({ spool, store, logger: logger.child('spool') }),
    async close() {
      sink.destroy();
      rolesAnywhereHandler?.destroy();
      await dispatcher.close();
      await logger.close();
    },
  };
}

/**
 * For every command that runs jobs (`run`, `once`, `drain`): the instance lock for the whole
 * command, the runtime built under it, and both released however `use`, building or closing ends,
 * so a failed start never leaves a lock the next start has to take over as stale.
 */
export async function withLockedRuntime<T>(config: AgentConfig, command: string, options: { console: boolean }, use: (runtime: Runtime) => Promise<T>): Promise<T> {
  const lock = await acquireInstanceLock(config.storage.dir, command);
  try {
    const runtime = await createRuntime(config, options);
    try {
      return await use(runtime);
    } finally {
      await runtime.close();
    }
  } finally {
    await lock.release();
  }
}
