#!/usr/bin/env node
// Entry point of the program (node agent/cli/bin.ts, the bundle, the binary).
import { main } from './main.ts';

main(process.argv).then((code) => process.exit(code));
