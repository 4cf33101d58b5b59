// Builds dist/ for the package: a clean compile (tsconfig.build.json), then the JSON files the
// compiled modules read next to themselves (the state machine definition, the price table).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/', import.meta.url);
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
for (const file of ['statemachines/restore-object.asl.json', 'statemachines/restore-batch.asl.json', 'pricing/us-east-1.json', 'pricing/us-east-1-storage.json'])
  cpSync(new URL(`../${file}`, import.meta.url), new URL(file, dist));
