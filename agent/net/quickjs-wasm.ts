// The QuickJS WebAssembly binary the PAC sandbox runs on (quickjs-wasi ships it as
// `quickjs-wasi/quickjs.wasm` and leaves loading to the caller). From source it is read from
// node_modules; the bundle for the single executable replaces this module with one that embeds
// the bytes (installer/build-bundle.ts, esbuild's binary loader), so the binary needs no files.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

export async function loadQuickJsWasm(): Promise<Uint8Array> {
  return readFile(createRequire(import.meta.url).resolve('quickjs-wasi/quickjs.wasm'));
}
