import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The domain core's folders say what may depend on what: rules are pure, stores and restores
// build on rules, and only the wiring knows about the Lambda runtime's environment.
const DOMAIN = join(import.meta.dirname, '../../functions/domain');
const ALLOWED: Record<string, string[]> = {
  rules: ['rules'],
  stores: ['rules', 'stores'],
  restores: ['rules', 'stores', 'restores'],
  wiring: ['rules', 'wiring'],
};

function importsOf(folder: string): { file: string; spec: string }[] {
  return readdirSync(join(DOMAIN, folder)).flatMap((file) =>
    [...readFileSync(join(DOMAIN, folder, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => ({ file: `${folder}/${file}`, spec: m[1] ?? '' })),
  );
}

describe('functions/domain layout', () => {
  it('has exactly the four folders', () => {
    expect(readdirSync(DOMAIN).sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it.each(Object.keys(ALLOWED))('%s imports only from the folders below it', (folder) => {
    const sideways = importsOf(folder)
      .filter(({ spec }) => spec.startsWith('.'))
      .filter(({ spec }) => !ALLOWED[folder]?.includes(spec.startsWith('./') ? folder : (spec.split('/')[1] ?? '')));
    expect(sideways).toEqual([]);
  });

  it('rules use no AWS SDK client and no runtime environment', () => {
    const rules = importsOf('rules');
    expect(rules.filter(({ spec }) => spec.startsWith('@aws-sdk/') || spec.startsWith('@aws-lambda-powertools/'))).toEqual([]);
    const env = readdirSync(join(DOMAIN, 'rules')).filter((f) => readFileSync(join(DOMAIN, 'rules', f), 'utf8').includes('process.env'));
    expect(env).toEqual([]);
  });
});
