/**
 * Where the functions' TypeScript sources are, for bundling at synth: the repository, or the
 * installed package, which ships them (functions/, statemachines/) with tsconfig.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder holding a package.json, from this module up: the repository or the installed package. */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const root = packageRoot(dirname(fileURLToPath(import.meta.url)));

export const functionSources = {
  /** Ends with a separator, so `${projectRoot}functions/...` is a path. */
  projectRoot: join(root, '/'),
  /**
   * The repository's lock file; an installed package has none (npm never packs it), and
   * NodejsFunction only needs a file under the project root to name the package manager (npm).
   */
  depsLockFilePath: existsSync(join(root, 'package-lock.json')) ? join(root, 'package-lock.json') : join(root, 'package.json'),
  tsconfig: join(root, 'tsconfig.json'),
};
