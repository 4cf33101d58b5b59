/** The tests run on the Node.js major the functions run on in Lambda (nodejs22.x), installed by the project (the `node` dev dependency). */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

it("runs on Node.js 22, the version of the Lambda runtime and of the project's own node package", () => {
  const { devDependencies } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
  const lambdaRuntime = readFileSync(new URL('../../infra/constructs/autorestore-function.ts', import.meta.url), 'utf8').match(/Runtime\.NODEJS_(\d+)_X/)?.[1];
  expect(lambdaRuntime).toBe('22');
  expect(devDependencies.node?.split('.')[0]).toBe(lambdaRuntime);
  expect(process.versions.node.split('.')[0], `run through npm (npm test, npx vitest) so node_modules/.bin/node ${devDependencies.node} is used`).toBe(lambdaRuntime);
});
