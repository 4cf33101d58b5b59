/**
 * One object: its restore record (state, cycle, tier, expiry, readers waiting), what S3 says
 * of it now, every execution of every cycle with its outcome, its audit timeline (the same
 * entries as `autorestore history --json`) and the emails that listed it.
 */
import { parseObjectId } from '../../functions/domain/rules/object-id-format';
import { describeMembership } from '../../functions/domain/rules/batch-membership';
import { auditHistory, batchOfObject, describeExecutions, headObject, objectRecord, outbox, readerEmails, type AuditEntry } from './aws';
import { mentions } from './mentions';
import { Failure, link, useLive } from './ui';

async function loadObject(objectId: string) {
  const ref = parseObjectId(objectId);
  const [record, head, timeline, messages] = await Promise.all([objectRecord(objectId), headObject(ref), auditHistory(objectId), outbox()]);
  // Every cycle's execution: the audit history names each one, the record names the current one.
  const arns = [...new Set([...timeline.map((e) => e.detail.executionArn), record?.executionArn].filter((arn): arn is string => typeof arn === 'string'))];
  const readers = Object.values(record?.subscribers ?? {});
  const [runs, emailOf, batch] = await Promise.all([describeExecutions(arns), readerEmails(readers), batchOfObject(ref, record, head)]);
  return { object: ref, record, head, batch, timeline, runs, readers: readers.map((r) => ({ reader: r, email: emailOf.get(r.id) })), emails: messages.filter((m) => mentions(m, ref)) };
}

/** The x-amz-restore header: `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`. */
function restoreText(header: string | undefined): string {
  if (!header) return 'not restored';
  if (/ongoing-request="true"/.test(header)) return 'restore in progress';
  const expiry = /expiry-date="([^"]+)"/.exec(header)?.[1];
  return expiry ? `restored until ${new Date(expiry).toISOString()}` : 'restored';
}

const folderOf = (key: string) => key.split('/').slice(0, -1).filter(Boolean);

export function ObjectPage({ objectId }: { objectId: string }) {
  const data = useLive(() => loadObject(objectId), [objectId]);
  return (
    <section className="object-page">
      <h1>Object</h1>
      <p className="key object-id">{objectId}</p>
      <Failure error={data.error} />
      {data.data && <ObjectDetails {...data.data} />}
    </section>
  );
}

function ObjectDetails({ object, record, head, batch, timeline, runs, readers, emails }: Awaited<ReturnType<typeof loadObject>>) {
  const open = record && (record.status === 'STARTING' || record.status === 'RESTORING');
  return (
    <>
      <p>
        <a href={link('objects', object.bucket, ...folderOf(object.key)) + (folderOf(object.key).length ? '/' : '')}>
          in s3://{object.bucket}/{folderOf(object.key).map((part) => `${part}/`)}
        </a>
      </p>
      <dl className="facts">
        <dt>State</dt>
        <dd data-fact="status">{record ? `${record.status}${record.outcome ? ` (${record.outcome})` : ''}` : 'never restored'}</dd>
        {batch && (
          <>
            <dt>Bulk restore</dt>
            <dd data-fact="batch">{describeMembership(batch)}</dd>
          </>
        )}
        <dt>Cycle</dt>
        <dd data-fact="cycle">{record?.cycle ?? '-'}</dd>
        <dt>Storage class</dt>
        <dd data-fact="storage-class">{head ? (head.StorageClass ?? 'STANDARD') + (head.ArchiveStatus ? ` (${head.ArchiveStatus})` : '') : 'object not found'}</dd>
        <dt>Restore</dt>
        <dd data-fact="restore">{head ? restoreText(head.Restore) : '-'}</dd>
        <dt>Tier</dt>
        <dd data-fact="tier">{record?.tier ?? '-'}</dd>
        <dt>Expected ready</dt>
        <dd>{record?.expectedReadyAt ?? '-'}</dd>
        <dt>Restored</dt>
        <dd>{record?.restoredAt ?? '-'}</dd>
        <dt>Expiry</dt>
        <dd data-fact="expiry">{record?.expiryDate ?? '-'}</dd>
        {record?.outcomeReason && (
          <>
            <dt>Reason</dt>
            <dd>{record.outcomeReason}</dd>
          </>
        )}
      </dl>

      <h2>{open ? 'Readers waiting' : 'Readers of the last cycle'}</h2>
      {readers.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul className="readers">
          {readers.map(({ reader, email }) => (
            <li key={reader.id} title={reader.arn ?? reader.id}>
              <span className="email-address">{email ?? 'no email address known'}</span> <span className="reader-id">{reader.id}</span>
            </li>
          ))}
        </ul>
      )}

      <h2>Executions</h2>
      <table className="runs">
        <thead>
          <tr>
            <th>Name</th>
            <th>Outcome</th>
            <th>Started</th>
            <th>Stopped</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.executionArn} data-execution={run.executionArn}>
              <td>
                <a href={link('execution', run.executionArn!)}>{run.name}</a>
              </td>
              <td className={`status ${run.status}`}>
                {run.status}
                {run.error ? ` (${run.error})` : ''}
              </td>
              <td>{run.startDate?.toISOString()}</td>
              <td>{run.stopDate?.toISOString() ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Timeline</h2>
      <Timeline entries={timeline} />

      <h2>Emails</h2>
      {emails.length === 0 ? (
        <p>No email lists this object.</p>
      ) : (
        <ul className="object-emails">
          {emails.map((m) => (
            <li key={m.file}>
              <strong>{m.subject}</strong> to {m.to.join(', ')}, {m.date}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function Timeline({ entries }: { entries: AuditEntry[] }) {
  return (
    <ol className="timeline">
      {entries.map((e) => (
        <li key={e.at} data-type={e.type} data-at={e.at}>
          <time>{e.time}</time> <span className="cycle">cycle {e.cycle ?? '-'}</span> <strong>{e.type}</strong>{' '}
          {typeof e.detail.executionArn === 'string' && <a href={link('execution', e.detail.executionArn)}>execution</a>}
          <code>{JSON.stringify(e.detail)}</code>
        </li>
      ))}
    </ol>
  );
}
