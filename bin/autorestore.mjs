#!/usr/bin/env node
// The installed package runs the compiled CLI (dist/). A clone of the repository, which has the
// TypeScript sources and not necessarily a build, runs the sources through tsx.
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
let run;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ run } = await import(source.href));
} else {
  ({ run } = await import('../dist/cli/main.js'));
}
process.exitCode = await run(process.argv.slice(2));
