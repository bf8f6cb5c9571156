// Watches the agent's storage folder from outside (inotify through fs.watch) so a kill can be
// aimed at the boundary between two durable steps, not only at peer events:
//   temp-renamed     a cycle file appeared under its final name in temp/ (written, fsynced,
//                    renamed: durable) and the state update after it has not happened yet;
//   state-written    state/status.json was renamed into place (the state step is durable);
//   dump-deleted     a file left dump/ (a delivered file's delete, e.g. a pack's sources after
//                    S3 confirmed the pack and before the manifest is removed);
//   manifest-written a pack manifest appeared in packs/ (before the pack's PUT).
// Folders the agent has not created yet are watched once they exist (checked every 200 ms).
//
// Lifecycle: watchSpool(storageDir) -> onEvent(...) -> close().
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export type SpoolEventType = 'temp-renamed' | 'state-written' | 'dump-deleted' | 'manifest-written';
export interface SpoolEvent {
  type: SpoolEventType;
  name: string;
}

export interface SpoolWatch {
  onEvent(listener: (event: SpoolEvent) => void): () => void;
  close(): void;
}

const CYCLE_FILE = /_[0-9a-f]{16}\.ndjson(\.gz)?$/;

export function watchSpool(storageDir: string): SpoolWatch {
  const listeners = new Set<(event: SpoolEvent) => void>();
  const watchers = new Map<string, FSWatcher>();
  const emit = (event: SpoolEvent) => listeners.forEach((listener) => listener(event));
  // A name's first 'rename' event in temp/ is its arrival; the next is its upload-delete or move.
  const seenInTemp = new Set<string>();
  const seenManifests = new Set<string>();

  const handlers: Record<string, (name: string) => void> = {
    temp(name) {
      if (!CYCLE_FILE.test(name) || name.startsWith('.')) return;
      if (seenInTemp.has(name)) return void seenInTemp.delete(name);
      seenInTemp.add(name);
      emit({ type: 'temp-renamed', name });
    },
    state(name) {
      if (name === 'status.json') emit({ type: 'state-written', name });
    },
    dump(name) {
      // A move into dump/ also says 'rename'; only a name that is gone now has left.
      if (CYCLE_FILE.test(name) && !existsSync(join(storageDir, 'dump', name))) emit({ type: 'dump-deleted', name });
    },
    packs(name) {
      if (!name.endsWith('.json') || seenManifests.has(name)) return;
      if (existsSync(join(storageDir, 'packs', name))) {
        seenManifests.add(name);
        emit({ type: 'manifest-written', name });
      }
    },
  };

  const attach = () => {
    for (const [folder, handle] of Object.entries(handlers)) {
      const dir = join(storageDir, folder);
      if (watchers.has(folder) || !existsSync(dir)) continue;
      try {
        const watcher = watch(dir, (eventType, name) => {
          if (eventType === 'rename' && name) handle(name.toString());
        });
        watcher.on('error', () => watchers.delete(folder)); // the folder went away: re-attach later
        watchers.set(folder, watcher);
      } catch {
        // Raced with the folder's removal; the next tick tries again.
      }
    }
  };
  attach();
  const timer = setInterval(attach, 200);
  return {
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      clearInterval(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
