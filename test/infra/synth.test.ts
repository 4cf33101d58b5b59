/** The real `cdk synth`: offline, no AWS credentials, no Docker, bundling with the local esbuild. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('npx cdk synth succeeds offline with cdk-nag clean', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  // A home with no ~/.aws and an unroutable metadata endpoint: nothing to find credentials with.
  env.HOME = mkdtempSync(join(tmpdir(), 'home-'));
  env.AWS_EC2_METADATA_DISABLED = 'true';
  env.CDK_DISABLE_VERSION_CHECK = '1';
  const { stderr } = await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', out], { env, maxBuffer: 64 * 1024 * 1024 });
  const template = JSON.parse(readFileSync(join(out, 'S3Autorestore.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
  // The per-object workflow and the bulk one.
  expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(2);
  expect(stderr).not.toMatch(/AwsSolutions-/);
  const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as { pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[] };
  for (const plugin of report.pluginReports) expect(plugin, plugin.pluginName).toMatchObject({ conclusion: 'success', violations: [] });
});
