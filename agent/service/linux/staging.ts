// Paths under an optional staging root (`service install --root DIR`, like DESTDIR for packagers):
// files are written below DIR, but everything written into them (unit, ExecStart, ReadWritePaths)
// names the final paths the installed system will see.
import { isAbsolute, join, relative, resolve } from 'node:path';

export interface Staging {
  /** '/' for a real install. */
  root: string;
  staged: boolean;
  /** Final path -> where to write it on this machine. */
  onHost(finalPath: string): string;
  /** A path on this machine (possibly under the root) -> the final path. */
  toFinal(hostPath: string): string;
}

export function createStaging(root: string = '/'): Staging {
  const absoluteRoot = resolve(root);
  const staged = absoluteRoot !== '/';
  return {
    root: absoluteRoot,
    staged,
    onHost: (finalPath) => (staged ? join(absoluteRoot, finalPath) : finalPath),
    toFinal: (hostPath) => {
      if (!staged) return hostPath;
      const inside = relative(absoluteRoot, hostPath);
      return inside.startsWith('..') || isAbsolute(inside) ? hostPath : `/${inside}`;
    },
  };
}

/** True when `path` is `folder` or inside it. */
export function isInside(path: string, folder: string): boolean {
  const inside = relative(folder, path);
  return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
}
