// Bundles the agent into one CommonJS file, dist/datapipe-agent.cjs: the package's `bin`, and the
// script that Node's single-executable mechanism embeds in the binaries (which requires CommonJS).
// The envelope schema and package.json are inlined; nothing is read from node_modules at run time.
//
// The bundle's first statement sets `globalThis.__DATAPIPE_BUILD__ = { commit }` (read by
// agent/version.ts, printed by `--version`). Commands are reached through dynamic `import()`, which
// esbuild turns into lazily initialised modules, so `--version` and `validate` never evaluate the
// AWS SDK (installer/sea/lazy-check.ts proves it on every binary build).
//
// The hashbang comes from agent/cli/bin.ts (esbuild keeps the entry's), so the banner has none.
//
// Run directly (`npm run build`) or call `bundleAgent` (installer/build-binaries.ts).
import { build, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_FILE = join(REPO_ROOT, 'dist', 'datapipe-agent.cjs');

export interface BundleOptions {
  outfile?: string;
  /** The commit to embed; default: `readBuildCommit()`. */
  commit?: string;
  /** JavaScript placed after the build-info line (the lazy check uses it). */
  extraBanner?: string;
  plugins?: Plugin[];
}

// ES modules bundled into CommonJS lose `import.meta`; node-cron's ESM build calls
// fileURLToPath(import.meta.url) at load time (for a worker path the agent never uses), which
// would crash every command. Each module gets the bundle's own URL instead (in a single
// executable, __filename is the executable).
const IMPORT_META_URL_SHIM = "var import_meta_url_shim = require('node:url').pathToFileURL(__filename).href;";

/**
 * The PAC sandbox's QuickJS engine (agent/net/quickjs-wasm.ts reads quickjs-wasi/quickjs.wasm from
 * node_modules when run from source). In the bundle the module is replaced by one that embeds the
 * bytes with esbuild's binary loader, so the single executable needs no file beside it.
 */
const embedQuickJsWasm: Plugin = {
  name: 'embed-quickjs-wasm',
  setup(build) {
    build.onLoad({ filter: /[\\/]agent[\\/]net[\\/]quickjs-wasm\.ts$/ }, () => ({
      contents: "import wasm from 'quickjs-wasi/quickjs.wasm';\nexport async function loadQuickJsWasm() { return wasm; }\n",
      loader: 'ts',
      resolveDir: REPO_ROOT,
    }));
  },
};

/** The short commit of the checkout, or 'unknown' outside a git checkout (e.g. a source tarball). */
export function readBuildCommit(root = REPO_ROOT): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return /^[0-9a-f]{4,40}$/.test(commit) ? commit : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Writes the bundle and returns its path. */
export async function bundleAgent(options: BundleOptions = {}): Promise<string> {
  const outfile = options.outfile ?? BUNDLE_FILE;
  const buildInfo = { commit: options.commit ?? readBuildCommit() };
  await build({
    entryPoints: [join(REPO_ROOT, 'agent', 'cli', 'bin.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    banner: { js: [`globalThis.__DATAPIPE_BUILD__ = ${JSON.stringify(buildInfo)};`, IMPORT_META_URL_SHIM, options.extraBanner ?? ''].join('\n') },
    define: { 'import.meta.url': 'import_meta_url_shim' },
    logLevel: 'warning',
    legalComments: 'external',
    loader: { '.wasm': 'binary' },
    plugins: [embedQuickJsWasm, ...(options.plugins ?? [])],
  });
  await writeFile(outfile, escapeNonAscii(await readFile(outfile, 'utf8')));
  return outfile;
}

/**
 * V8 keeps the script's source in the heap for as long as the process runs, one byte per character
 * only if every character is Latin-1; one comment with a typographic apostrophe (undici has several)
 * makes the 6 MB bundle a 12 MB two-byte string (heap snapshot of an idle `run`). esbuild already
 * writes strings and templates in ASCII (charset: 'ascii', its default); what it leaves is comments
 * and regular-expression literals, where `\uXXXX` stands for the same character (a pair of them,
 * for characters above U+FFFF, is one code point under the u flag and two units without it, as the
 * literal character was).
 */
export function escapeNonAscii(code: string): string {
  // eslint-disable-next-line no-control-regex -- everything outside ASCII, nothing else
  return code.replace(/[^\u0000-\u007f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`built ${await bundleAgent()}`);
}
