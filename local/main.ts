/**
 * `npm start`: the local cloud and a demo, on http://127.0.0.1:4566 by default.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { positiveNumber, share, wholeNumber } from '../lib/option-parsers.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, LocalCloud } from './cloud.js';
import { DEMO_ACCESS_KEY, DEMO_BUCKET, DEMO_EMAIL, DEMO_OBJECTS, seedDemo } from './demo.js';

const program = new Command()
  .name('autorestore-local')
  .description('Runs S3 Autorestore on this machine: S3, DynamoDB, Step Functions, SES and EventBridge on one loopback endpoint.')
  .addOption(new Option('--port <port>', 'port of the endpoint (loopback only)').default(4566).argParser(wholeNumber))
  .option('--data-dir <dir>', 'where buckets, tables, executions and the outbox are kept', '.data')
  .option('--fresh', 'start from an empty data folder', false)
  .option('--no-demo', 'do not create the demo bucket and reader')
  .addOption(new Option('--seconds-per-hour <seconds>', 'real seconds per simulated hour').default(1).argParser(positiveNumber))
  .addOption(new Option('--debounce-seconds <seconds>', "simulated seconds a reader's notices wait for more before one email goes out").default(120).argParser(positiveNumber))
  .addOption(new Option('--max-wait-seconds <seconds>', 'simulated seconds a notice waits at most for the debounce window').default(900).argParser(positiveNumber))
  .option('--watch <buckets>', 'comma-separated buckets whose reads are watched (default: all)')
  .addOption(new Option('--drop-read-events <share>', 'share of CloudTrail read events lost').default(0).argParser(share))
  .addOption(new Option('--drop-restore-events <share>', 'share of S3 restore completed/expired events lost').default(0).argParser(share))
  .addOption(new Option('--duplicate-s3-events <n>', 'extra copies of every S3 event').default(0).argParser(wholeNumber))
  .addOption(new Option('--start-execution-rate <perSecond>', 'StartExecution calls allowed per second (0 = no limit)').default(0).argParser(wholeNumber))
  .addOption(new Option('--ses-failure-rate <share>', 'share of SES sends that fail').default(0).argParser(share))
  .option('--log-level <level>', 'log level of the functions (DEBUG, INFO, WARN, ERROR)', 'WARN')
  .option('--policy-file <path>', "a JSON file with the restore policy (the stack configuration's restorePolicy)");

async function main(): Promise<void> {
  const opts = program.parse().opts<{
    port: number;
    dataDir: string;
    fresh: boolean;
    demo: boolean;
    secondsPerHour: number;
    debounceSeconds: number;
    maxWaitSeconds: number;
    watch?: string;
    dropReadEvents: number;
    dropRestoreEvents: number;
    duplicateS3Events: number;
    startExecutionRate: number;
    sesFailureRate: number;
    logLevel: string;
    policyFile?: string;
  }>();
  const cloud = await LocalCloud.start({
    port: opts.port,
    dataDir: resolve(opts.dataDir),
    fresh: opts.fresh,
    realMsPerSimulatedHour: opts.secondsPerHour * 1000,
    debounceSeconds: opts.debounceSeconds,
    maxWaitSeconds: opts.maxWaitSeconds,
    watchedBuckets: opts.watch
      ?.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    faults: {
      dropReadEvents: opts.dropReadEvents,
      dropRestoreEvents: opts.dropRestoreEvents,
      duplicateS3Events: opts.duplicateS3Events,
      startExecutionPerSecond: opts.startExecutionRate,
      sesFailureRate: opts.sesFailureRate,
    },
    functionLogLevel: opts.logLevel.toUpperCase(),
    ...(opts.policyFile ? { restorePolicy: JSON.parse(readFileSync(resolve(opts.policyFile), 'utf8')) as unknown } : {}),
  });
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`S3 Autorestore local cloud on ${cloud.endpoint}`);
  out(`  account ${LOCAL_ACCOUNT}, region ${LOCAL_REGION}; time: ${cloud.clock.describe()}`);
  out(`  data folder ${resolve(opts.dataDir)} (outbox: ${resolve(opts.dataDir, 'outbox')})`);
  out(`  state machine ${cloud.stateMachineArn}`);
  if (opts.demo) {
    await seedDemo(cloud.endpoint);
    out();
    out(`Demo bucket s3://${DEMO_BUCKET}:`);
    for (const o of DEMO_OBJECTS) out(`  ${o.key.padEnd(36)} ${o.storageClass}${o.archiveStatus ? ` (${o.archiveStatus})` : ''}: ${o.note}`);
    out();
    out(`The demo reader's access key ${DEMO_ACCESS_KEY} is mapped to ${DEMO_EMAIL}. Try, in another terminal:`);
    out(`  export AWS_ACCESS_KEY_ID=${DEMO_ACCESS_KEY} AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=${LOCAL_REGION}`);
    out(`  /usr/bin/aws --endpoint-url ${cloud.endpoint} s3 cp 's3://${DEMO_BUCKET}/${DEMO_OBJECTS[2]!.key}' .`);
    out(`    -> fails with InvalidObjectState; the restore starts; a "started" email lands in the outbox`);
    out(`  ls ${resolve(opts.dataDir, 'outbox')}`);
    out(`    -> about 4 seconds later the "ready" email; then the same cp succeeds`);
    out(`  For GLACIER and DEEP_ARCHIVE objects \`aws s3 cp\` skips the download unless given --force-glacier-transfer`);
    out(`  (as it does against AWS); \`aws s3api get-object\` always tries the read.`);
  }
  out();
  out('Ctrl-C stops (state is kept in the data folder; --fresh starts over).');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the local cloud...\n`);
    cloud.stop().then(
      () => process.stderr.write('stopped.\n'),
      (err: unknown) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`autorestore-local: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
