/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a project of its
 * own (dependencies from the npm registry), then the library imported from plain ESM, the CLI
 * run with npx, and a CDK app synthesized with the construct.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const repo = new URL('../../', import.meta.url).pathname;
const devDependencies = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;

// The npm running this test sets variables naming this repository as the current project; the
// scratch project is a project of its own.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|npm_command$|INIT_CWD$)/.test(k)));
const run = (file: string, args: string[], cwd: string) => exec(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
/** npm's complaint about a setting of this machine's own npm configuration, not the project's. */
const withoutMachineNpmConfig = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line && !/^npm warn Unknown (user|env|global) config "nodedir"/.test(line))
    .join('\n');

/** The app of the README's section for users who do not clone the repository. */
function readmeApp(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it in your own CDK app'));
  const app = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(app, 'the README shows the app').toMatch(/from 's3-autorestore\/cdk'/);
  return app!;
}

let work: string;
let project: string;
let tarballFiles: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'autorestore-pack-'));
  await run('npm', ['pack', '--pack-destination', work], repo);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tarball, 'npm pack wrote a tarball').toBeDefined();
  tarballFiles = (await run('tar', ['-tzf', join(work, tarball!)], work)).stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));

  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'autorestore-user', private: true, type: 'module' }));
  await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball!), `aws-cdk-lib@${devDependencies['aws-cdk-lib']}`, `constructs@${devDependencies.constructs}`],
    project,
  );
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds compiled JavaScript with declarations, the functions to bundle, and no tests or local cloud', () => {
    for (const file of [
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/infra/s3-autorestore.js',
      'dist/infra/s3-autorestore.d.ts',
      'dist/cli/main.js',
      'bin/autorestore.mjs',
      'functions/detect-access/handler.ts',
      'dist/statemachines/restore-object.asl.json',
      'dist/pricing/us-east-1.json',
      'dist/pricing/us-east-1-storage.json',
    ]) {
      expect(tarballFiles).toContain(file);
    }
    expect(tarballFiles.filter((f) => /^(test|local|bench|console|cli|lib|infra)\//.test(f))).toEqual([]);
  });

  it('imports as a library from plain Node.js ESM', { timeout: 300_000 }, async () => {
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('s3-autorestore'); console.log(Object.keys(m).sort().join(','))"], project);
    expect(stdout.trim().split(',')).toEqual(expect.arrayContaining(['getObjectOrRestore', 'documentClient', 'ObjectRecords', 'AuditLog', 'NoticeBook']));
    expect(stderr).toBe('');
  });

  it('runs `npx autorestore --help` without a TypeScript loader', { timeout: 300_000 }, async () => {
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    const { stdout, stderr } = await run('npx', ['autorestore', '--help'], project);
    expect(stdout).toMatch(/^Usage: autorestore \[options\] \[command\]/);
    expect(stdout).toMatch(/restore \[options\]/);
    expect(withoutMachineNpmConfig(stderr)).toBe('');
  });

  it('type-checks in an ESM TypeScript project (NodeNext), the props typed from the configuration schema', { timeout: 300_000 }, async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['check.ts'] }),
    );
    writeFileSync(
      join(project, 'check.ts'),
      [
        "import { App, Stack } from 'aws-cdk-lib';",
        "import { S3Autorestore, type S3AutorestoreProps } from 's3-autorestore/cdk';",
        "import { documentClient, getObjectOrRestore, type Reader } from 's3-autorestore';",
        "const props: S3AutorestoreProps = { watchedBuckets: ['my-archive'], senderAddress: 'restores@example.com', sesIdentity: 'example.com', restoreDays: 3 };",
        "new S3Autorestore(new Stack(new App(), 'Archive'), 'Autorestore', props);",
        '// @ts-expect-error restoreDays is a number of days',
        "export const wrong: S3AutorestoreProps = { ...props, restoreDays: 'three' };",
        "export const reader: Reader = { id: 'app:reporting', email: 'reporting@example.com' };",
        'export { documentClient, getObjectOrRestore };',
      ].join('\n'),
    );
    await run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project);
  });

  it("synthesizes the README's CDK app, bundling the functions from the installed sources", { timeout: 300_000 }, async () => {
    writeFileSync(join(project, 'app.mjs'), readmeApp());
    // As `cdk deploy --app 'node app.mjs'` runs it: the CLI names the output folder, the app synthesizes on exit.
    await exec(process.execPath, ['app.mjs'], { cwd: project, env: { ...env, CDK_OUTDIR: join(project, 'cdk.out') } });
    const template = JSON.parse(readFileSync(join(project, 'cdk.out', 'Archive.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const resources = Object.values(template.Resources);
    // The per-object workflow and the bulk (Batch Operations) one.
    expect(resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(2);
    expect(resources.filter((r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.EventPattern ?? {}).includes('"my-archive"'))).toHaveLength(2);
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'nodejs22.x');
    // One function per handler the package ships (functions/<name>/handler.ts).
    const handlers = readdirSync(join(repo, 'functions')).filter((d) => existsSync(join(repo, 'functions', d, 'handler.ts')));
    expect(handlers.length).toBeGreaterThanOrEqual(5);
    expect(functions).toHaveLength(handlers.length);
    // Each function's asset is a bundle esbuild built at synth.
    const bundles = readdirSync(join(project, 'cdk.out')).filter((d) => existsSync(join(project, 'cdk.out', d, 'index.js')));
    expect(bundles).toHaveLength(handlers.length);
  });
});
