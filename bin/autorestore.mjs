#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so the installed command is the source.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
