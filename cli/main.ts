/**
 * `autorestore`: act on archived objects directly and look things up. Argument wiring only;
 * each command lives in cli/commands/. Exit codes: 0 done, 1 failed, 2 bad input (nothing
 * started), 3 restore pending (get), 4 declined at the prompt, 5 doctor found a problem,
 * 130 interrupted.
 */
import { Command, CommanderError, Option } from 'commander';
import { RESTORE_TIERS, type RestoreTier } from '../functions/domain/rules/archive.js';
import { KEEP_STORAGE_CLASSES } from '../functions/domain/rules/expiry.js';
import { DEFAULT_STACK_NAME } from '../infra/outputs.js';
import { batchCancelCommand, batchListCommand, batchShowCommand } from './commands/batch.js';
import { doctorCommand } from './commands/doctor.js';
import { approveCommand } from './commands/approve.js';
import { costsCommand } from './commands/costs.js';
import { LEDGER_DIMENSIONS, type LedgerDimension } from '../functions/domain/stores/ledger.js';
import { extendCommand, type ExtendCommandOptions } from './commands/extend.js';
import { getCommand } from './commands/get.js';
import { historyCommand } from './commands/history.js';
import { keepCommand, type KeepCommandOptions } from './commands/keep.js';
import { remindersOff, remindersOn } from './commands/reminders.js';
import { restoreCommand } from './commands/restore.js';
import { statusCommand } from './commands/status.js';
import { usersAdd, usersList, usersRemove } from './commands/users.js';
import { Context, type GlobalOptions } from './context.js';
import { positiveInt, positiveNumber } from '../lib/option-parsers.js';
import { dropOutputWhenReaderLeaves, EXIT, logLine } from './output.js';
import { UsageError } from './s3-url.js';

export async function run(argv: string[]): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(EXIT.INTERRUPTED);
    logLine('interrupted: finishing the requests under way, starting no more (Ctrl-C again to quit now)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  dropOutputWhenReaderLeaves();
  let exitCode: number = EXIT.OK;
  let ctx: Context | undefined;
  const withContext =
    (action: (ctx: Context, ...args: never[]) => Promise<number>) =>
    async (...args: unknown[]) => {
      ctx = new Context(program.opts<GlobalOptions>());
      // commander passes the arguments, then the options, then the command itself.
      exitCode = await action(ctx, ...(args.slice(0, -1) as never[]));
    };

  const program = new Command()
    .name('autorestore')
    .description('Restore archived S3 objects through the S3 Autorestore workflow, and look up their state and history.')
    .option('--endpoint-url <url>', 'AWS endpoint (the local cloud: http://127.0.0.1:4566); default AWS_ENDPOINT_URL or AWS itself')
    .option('--region <region>', "AWS region (default: the credential chain's)")
    .option('--stack-name <name>', 'the deployed stack whose outputs name the resources', DEFAULT_STACK_NAME)
    .option('--state-machine-arn <arn>', 'instead of the stack output')
    .option('--objects-table <name>', 'instead of the stack output')
    .option('--audit-table <name>', 'instead of the stack output')
    .option('--notices-table <name>', 'instead of the stack output')
    .option('--principals-table <name>', 'instead of the stack output')
    .option('--json', 'results as JSON on stdout', false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('restore')
    .description('restore an object, or every archived object under a prefix, through the workflow (same emails, same audit history)')
    .argument('<s3url>', 's3://bucket/key or s3://bucket/prefix/')
    .option('--days <n>', 'days the restored copy stays (Glacier and Deep Archive only)', positiveInt)
    .addOption(new Option('--tier <tier>', 'retrieval tier').choices(RESTORE_TIERS))
    .option('--notify <email>', 'also email this address when the restore starts and when it is ready')
    .option('--dry-run', 'show what would be restored, skipped, and what it costs; change nothing', false)
    .option('--yes', 'do not ask before large or Expedited restores', false)
    .option('--concurrency <n>', 'workflow starts in parallel', positiveInt, 16)
    .addOption(
      new Option('--mode <mode>', 'object: one workflow per object; batch: S3 Batch Operations (Standard or Bulk); auto: batch above --batch-threshold')
        .choices(['auto', 'object', 'batch'])
        .default('auto'),
    )
    .option('--batch-threshold <n>', 'objects to restore above which auto mode takes the bulk path (default AUTORESTORE_BATCH_THRESHOLD or 10000)', positiveInt)
    .action(
      withContext(
        (
          c,
          target: string,
          o: { days?: number; tier?: RestoreTier; notify?: string; dryRun: boolean; yes: boolean; concurrency: number; mode: 'auto' | 'object' | 'batch'; batchThreshold?: number },
        ) => restoreCommand(c, target, o, abort.signal),
      ),
    );

  const batch = program.command('batch').description('bulk restores (S3 Batch Operations): list them, show one with its progress, cancel one');
  batch.command('list').action(withContext((c) => batchListCommand(c)));
  batch
    .command('show')
    .argument('<id>')
    .action(withContext((c, id: string) => batchShowCommand(c, id)));
  batch
    .command('cancel')
    .argument('<id>')
    .action(withContext((c, id: string) => batchCancelCommand(c, id)));

  program
    .command('status')
    .description('storage class, archive state and restore state of each object under a prefix (listings only, no HEAD per object)')
    .argument('<s3url>', 's3://bucket/prefix')
    .option('--check-tiers', 'look up the tier of Intelligent-Tiering objects (one HeadObject each)', false)
    .action(withContext((c, target: string, o: { checkTiers: boolean }) => statusCommand(c, target, o)));

  program
    .command('history')
    .description("an object's audit timeline: reads, restores, notices, executions")
    .argument('<s3url>', 's3://bucket/key')
    .option('--version-id <id>', 'the history of one version')
    .action(withContext((c, target: string, o: { versionId?: string }) => historyCommand(c, target, o)));

  const users = program.command('users').description('the principal -> email map (access key id, IAM ARN or user name, role session name)');
  users
    .command('add')
    .argument('<principal>')
    .argument('<email>')
    .action(withContext((c, principal: string, email: string) => usersAdd(c, principal, email)));
  users
    .command('remove')
    .argument('<principal>')
    .action(withContext((c, principal: string) => usersRemove(c, principal)));
  users.command('list').action(withContext((c) => usersList(c)));

  program
    .command('get')
    .description('download an object; if it is archived, start (or join) its restore and exit 3, or --wait for it')
    .argument('<s3url>', 's3://bucket/key')
    .argument('[dest]', "file to write ('-' for stdout; default: the key's file name)")
    .option('--wait', 'wait until the restore is done, then download', false)
    .option('--poll-seconds <s>', 'how often --wait asks S3', positiveNumber, 60)
    .option('--notify <email>', 'also email this address')
    .action(withContext((c, target: string, dest: string | undefined, o: { wait: boolean; pollSeconds: number; notify?: string }) => getCommand(c, target, dest, o, abort.signal)));

  program
    .command('doctor')
    .description('check a deployment, read-only: stack outputs, watched buckets, trail, rules, dead letters, SES, principal map, failed executions (exit 5 on a problem)')
    .action(withContext((c) => doctorCommand(c)));

  for (const [name, decision, what] of [
    ['approve', 'APPROVED', 'approve a restore that waits for approval: it starts at once'],
    ['deny', 'DENIED', 'deny a restore that waits for approval: the readers are told, with the reason'],
  ] as const) {
    program
      .command(name)
      .description(what)
      .argument('<target>', 's3://bucket/key, or the request id from the approval email')
      .option('--reason <text>', 'why (recorded in the audit history; a denial tells the readers)')
      .option('--version-id <id>', 'the version, with an s3:// URL')
      .action(withContext((c, target: string, o: { reason?: string; versionId?: string }) => approveCommand(c, decision, target, o)));
  }

  program
    .command('costs')
    .description('what restores cost in a month, from the ledger the workflow keeps (default: this month, UTC)')
    .option('--month <YYYY-MM>', 'the month')
    .addOption(new Option('--by <dimension>', 'break the total down').choices(LEDGER_DIMENSIONS))
    .action(withContext((c, o: { month?: string; by?: LedgerDimension }) => costsCommand(c, o)));
  program
    .command('extend')
    .description('keep restored Glacier / Deep Archive copies longer: RestoreObject again (S3 moves the expiry; only the request is billed, nothing is retrieved again)')
    .argument('<s3url>', 's3://bucket/key or s3://bucket/prefix/')
    .requiredOption('--days <n>', 'days from now the restored copy stays', positiveInt)
    .option('--dry-run', 'show each copy, its expiry and what it would become; change nothing', false)
    .option('--notify', "email the copy's readers its new expiry (once per restore); without it they are not emailed again", false)
    .addHelpText('after', '\nReaders of a restored copy get one "expires soon" email before it expires (the stack\'s expiryReminderHours, default 24; 0 turns it off).')
    .action(withContext((c, target: string, o: ExtendCommandOptions) => extendCommand(c, target, o, abort.signal)));

  program
    .command('keep')
    .description('make restored Glacier / Deep Archive objects permanently readable: copy each onto itself into a non-archive class (metadata, tags, checksum, encryption kept)')
    .argument('<s3url>', 's3://bucket/key or s3://bucket/prefix/')
    .addOption(new Option('--storage-class <class>', 'the class to keep the object in').choices(KEEP_STORAGE_CLASSES).default('STANDARD'))
    .option('--dry-run', 'show what would be copied and what it costs; change nothing', false)
    .option('--yes', 'do not ask before large sets', false)
    .addOption(new Option('--single-copy-limit <bytes>', 'copy larger objects in parts (S3: 5 GiB)').argParser(positiveInt).hideHelp())
    .addOption(new Option('--part-size <bytes>', 'part size of a multipart copy').argParser(positiveInt).hideHelp())
    .addHelpText(
      'after',
      '\nUp to 5 GiB one CopyObject, above it a multipart upload of part copies. In a versioned bucket the archived version stays as a noncurrent version.\nThe stack can do this by itself: autoKeep {"afterRestores": K, "withinDays": D} keeps an object on its K-th restore within D days (off by default).',
    )
    .action(withContext((c, target: string, o: KeepCommandOptions) => keepCommand(c, target, o, abort.signal)));

  const reminders = program.command('reminders').description('"expires soon" emails (sent before a restored copy expires): turn them off or on for an address');
  reminders
    .command('off')
    .argument('<email>')
    .action(withContext((c, email: string) => remindersOff(c, email)));
  reminders
    .command('on')
    .argument('<email>')
    .action(withContext((c, email: string) => remindersOn(c, email)));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return reportError(err);
  } finally {
    process.off('SIGINT', onSigint);
    ctx?.close();
  }
}

/** One line naming the problem; the exit code says what kind. */
function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
    return EXIT.USAGE; // commander already printed the message
  }
  const e = err as Error & { $metadata?: { httpStatusCode?: number }; Bucket?: string };
  if (err instanceof UsageError) {
    logLine(`autorestore: ${err.message}`);
    return EXIT.USAGE;
  }
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message)) {
    logLine('autorestore: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)');
    return EXIT.USAGE;
  }
  if (e.name === 'NoSuchBucket') {
    logLine(`autorestore: the bucket does not exist${e.Bucket ? `: ${e.Bucket}` : ''}`);
    return EXIT.USAGE;
  }
  logLine(`autorestore: ${e.name}: ${e.message}`);
  return EXIT.FAILED;
}
