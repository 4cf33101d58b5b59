/**
 * Runs the local cloud's table index migration (local/table-indexes.ts) on the dynalite data
 * folder `<dir>/dynamodb` and kills its own process with SIGKILL at one step: just before the
 * `<n>`-th `<Command>` is sent, or just after it was answered (`before`|`after`). Used by
 * test/e2e/table-migration.test.ts to stop a rebuild at each of its steps.
 *   node --import tsx test/support/table-rebuild-child.ts <dir> <Command> <n> <before|after>
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../../infra/table-definitions.js';
import { TABLE_NAMES } from '../../local/deployment.js';
import { addMissingIndexes } from '../../local/table-indexes.js';

const [dir, killAt, nth, when] = process.argv.slice(2) as [string, string, string, 'before' | 'after'];
const server = dynalite({ path: `${dir}/dynamodb`, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
let seen = 0;
client.middlewareStack.add(
  (next, context) => async (args) => {
    const here = context.commandName === killAt && ++seen === Number(nth);
    if (here && when === 'before') process.kill(process.pid, 'SIGKILL');
    const out = await next(args);
    if (here && when === 'after') process.kill(process.pid, 'SIGKILL');
    return out;
  },
  { step: 'initialize', name: 'killAtStep' },
);
await addMissingIndexes(client, createTableInput('objects', TABLE_NAMES.objects), dir, () => undefined);
process.stdout.write('finished without being killed\n');
process.exit(0);
