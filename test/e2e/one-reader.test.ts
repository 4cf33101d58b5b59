/** One reader, through the real AWS CLI: refused, restored, emailed twice, then the download works. */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../local/eventually.js';
import { awsCliAvailable, startHarness, type Harness } from '../../local/harness.js';

const cli = awsCliAvailable();
let h: Harness;
const READER = 'AKIAREADERALICE00001';
const BUCKET = 'media-archive';
const KEY = 'interviews/2019/raw take #3 (final).mp4';

beforeAll(async () => {
  h = await startHarness();
  await h.createBucket(BUCKET);
  await h.principals.put(READER, 'alice@example.com', new Date());
});
afterAll(() => h.stop());

describe.runIf(cli)('one reader with the AWS CLI', () => {
  it('cp fails with InvalidObjectState, "started" then "ready" arrive, then cp succeeds', async () => {
    await h.putObject(BUCKET, KEY, 'INTELLIGENT_TIERING', 'ARCHIVE_ACCESS');
    const refused = await h.cli(['s3', 'cp', `s3://${BUCKET}/${KEY}`, 'out.mp4'], READER);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('InvalidObjectState');

    const [execution] = await h.waitForExecutions(1);
    const emails = await h.waitForEmails(2);
    expect(emails.map((e) => [e.to, e.subject])).toEqual([
      [['alice@example.com'], 'Restoring 1 file from archive'],
      [['alice@example.com'], '1 file restored and ready to download'],
    ]);
    expect(emails[0]!.text).toContain(KEY);
    expect(emails[1]!.html).toContain('raw take #3 (final).mp4');

    // The completion hands the "ready" notice over; had it come before the request stored its token, the
    // wait would have resumed itself and the workflow handed it over (both are normal).
    const handedByCompletion = ['Inspect object', 'What state is the object in?', 'Request restore and wait', 'Were the readers told it is ready?', 'File is ready'];
    const handedByWorkflow = [...handedByCompletion.slice(0, 4), 'Notify: file ready', 'File is ready'];
    expect([handedByCompletion, handedByWorkflow]).toContainEqual(await h.path(execution!.executionArn!));
    const timeline = await eventually(async () => {
      const types = await h.auditTypes(BUCKET, KEY);
      return types.filter((t) => t === 'EMAIL_SENT').length === 2 ? types : undefined;
    }, 'both emails in the audit history');
    // The emails interleave with the workflow; everything else happens in this order, except that
    // the restore may complete before the wait step has stored its token (both are normal).
    const steps = timeline.filter((t) => t !== 'EMAIL_SENT');
    expect(steps.slice(0, 5)).toEqual(['READ_DETECTED', 'EXECUTION_STARTED', 'OBJECT_INSPECTED', 'RESTORE_REQUESTED', 'NOTICES_QUEUED']);
    expect(steps.slice(5, 7).sort()).toEqual(['RESTORE_COMPLETED', 'WAITING_FOR_RESTORE']);
    expect(steps.slice(7)).toEqual(['NOTICES_QUEUED']);
    expect(timeline.indexOf('EMAIL_SENT')).toBeGreaterThan(timeline.indexOf('NOTICES_QUEUED'));
    expect(h.cloud.s3.calls.get('RestoreObject')).toBe(1);

    const fetched = await h.cli(['s3', 'cp', `s3://${BUCKET}/${KEY}`, 'out.mp4'], READER);
    expect(fetched.code).toBe(0);
  });

  it('head-object shows the restore and list-objects-v2 the storage class', async () => {
    const headOut = await h.cli(['s3api', 'head-object', '--bucket', BUCKET, '--key', KEY]);
    expect(headOut).toMatchObject({ code: 0, stderr: '' });
    expect(headOut.stdout).toContain('StorageClass');
    const head = JSON.parse(headOut.stdout) as { StorageClass: string; Restore?: string };
    expect(head).toMatchObject({ StorageClass: 'INTELLIGENT_TIERING', Restore: 'ongoing-request="false"' });
    // Debian's AWS CLI (2.9) predates --optional-object-attributes: the SDK asks for RestoreStatus.
    const cliList = JSON.parse((await h.cli(['s3api', 'list-objects-v2', '--bucket', BUCKET])).stdout) as { Contents: { Key: string; StorageClass: string }[] };
    expect(cliList.Contents).toEqual([expect.objectContaining({ Key: KEY, StorageClass: 'INTELLIGENT_TIERING' })]);
    const sdkList = await h.s3().send(new ListObjectsV2Command({ Bucket: BUCKET, OptionalObjectAttributes: ['RestoreStatus'] }));
    expect(sdkList.Contents).toEqual([expect.objectContaining({ Key: KEY, StorageClass: 'INTELLIGENT_TIERING', RestoreStatus: { IsRestoreInProgress: false } })]);
  });
});
