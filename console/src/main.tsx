import { useMemo, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { buckets, execution, executions, listObjects, outbox, type OutboxMessage } from './aws';
import { objectIdOf } from '../../functions/domain/rules/object-id-format';
import { ExecutionGraph } from './execution-graph';
import type { Asl } from './graph';
import { currentStates, pathOf, transitionsOf, visitsOf } from './history';
import { ObjectPage } from './object-page';
import { OverviewPage } from './overview';
import { Failure, link, useHash, useLive } from './ui';
import './style.css';

function App() {
  const [page, ...args] = useHash();
  let content: ReactNode;
  // `timeline` is the older address of the object page.
  if (page === 'object' || page === 'timeline') content = <ObjectPage objectId={args.join('/')} />;
  else if (page === 'executions') content = <Executions status={args[0]} />;
  else if (page === 'execution') content = <Execution arn={args.join('/')} />;
  else if (page === 'outbox') content = <Outbox />;
  else if (page === 'overview') content = <OverviewPage />;
  else content = <Objects bucket={args[0]} prefix={args.slice(1).join('/')} />;
  return (
    <>
      <nav>
        <strong>S3 Autorestore</strong>
        <a href={link('overview')}>Overview</a>
        <a href={link('objects')}>Objects</a>
        <a href={link('executions')}>Executions</a>
        <a href={link('outbox')}>Outbox</a>
        <span className="live">live</span>
      </nav>
      <main>{content}</main>
    </>
  );
}

function Objects({ bucket, prefix = '' }: { bucket?: string; prefix?: string }) {
  const all = useLive(buckets, []);
  const listing = useLive(() => (bucket ? listObjects(bucket, prefix) : Promise.resolve(undefined)), [bucket, prefix]);
  if (!bucket) {
    return (
      <section>
        <h1>Buckets</h1>
        <Failure error={all.error} />
        <ul>
          {all.data?.map((b) => (
            <li key={b}>
              <a href={link('objects', b)}>{b}</a>
            </li>
          ))}
        </ul>
      </section>
    );
  }
  const parent = prefix.replace(/[^/]*\/$/, '');
  return (
    <section>
      <h1>
        s3://{bucket}/{prefix}
      </h1>
      <Failure error={listing.error} />
      {prefix && (
        <p>
          <a href={link('objects', bucket, ...parent.split('/').filter(Boolean))}>.. up</a>
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>Key</th>
            <th>Storage class</th>
            <th>Restore</th>
            <th>Size</th>
          </tr>
        </thead>
        <tbody>
          {listing.data?.prefixes.map((p) => (
            <tr key={p}>
              <td colSpan={4}>
                <a href={link('objects', bucket, ...p.split('/').filter(Boolean)) + '/'}>{p}</a>
              </td>
            </tr>
          ))}
          {listing.data?.objects.map((o) => (
            <tr key={o.Key}>
              <td>
                <a className="key" href={link('object', objectIdOf({ bucket, key: o.Key! }))}>
                  {o.Key}
                </a>
              </td>
              <td>{o.StorageClass}</td>
              <td>
                {o.RestoreStatus
                  ? o.RestoreStatus.IsRestoreInProgress
                    ? 'in progress'
                    : `restored${o.RestoreStatus.RestoreExpiryDate ? ` until ${o.RestoreStatus.RestoreExpiryDate.toISOString()}` : ''}`
                  : '-'}
              </td>
              <td>{o.Size}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Executions({ status }: { status?: string }) {
  const list = useLive(() => executions(status as never), [status]);
  return (
    <section>
      <h1>Executions</h1>
      <p className="filters">
        {['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED'].map((s) => (
          <a key={s} className={s === (status ?? '') ? 'active' : ''} href={s ? link('executions', s) : link('executions')}>
            {s || 'all'}
          </a>
        ))}
      </p>
      <Failure error={list.error} />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Started</th>
            <th>Stopped</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((e) => (
            <tr key={e.executionArn}>
              <td>
                <a href={link('execution', e.executionArn!)}>{e.name}</a>
              </td>
              <td className={`status ${e.status}`}>{e.status}</td>
              <td>{e.startDate?.toISOString()}</td>
              <td>{e.stopDate?.toISOString() ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Execution({ arn }: { arn: string }) {
  const data = useLive(() => execution(arn), [arn]);
  const [selected, setSelected] = useState<string>();
  const definition = data.data?.definitionText;
  // Parsed once per definition: the graph keeps its layout and viewport across refreshes.
  const asl = useMemo(() => (definition ? (JSON.parse(definition) as Asl) : undefined), [definition]);
  if (!data.data || !asl) return <Failure error={data.error ?? undefined} />;
  const { described, events } = data.data;
  const path = pathOf(events);
  const visits = new Map(Object.keys(asl.States).map((name) => [name, visitsOf(events, name)]));
  const retried = new Map([...visits].map(([name, v]) => [name, v.reduce((n, visit) => n + Math.max(0, visit.attempts - 1), 0)]));
  const failed = new Set([...visits].filter(([, v]) => v.some((visit) => visit.errors.length > 0)).map(([name]) => name));
  const steps = selected ? (visits.get(selected) ?? []) : [];
  return (
    <section>
      <h1>{described.name}</h1>
      <p>
        <span className={`status ${described.status}`}>{described.status}</span> started {described.startDate?.toISOString()}
        {described.stopDate ? `, stopped ${described.stopDate.toISOString()}` : ''} {described.error ? ` - ${described.error}: ${described.cause ?? ''}` : ''}
        {objectOfInput(described.input) && (
          <>
            {' '}
            <a className="object-link" href={link('object', objectOfInput(described.input)!)}>
              object
            </a>
          </>
        )}
      </p>
      <div className="execution">
        <ExecutionGraph
          definition={asl}
          visited={new Set(path)}
          current={described.status === 'RUNNING' ? currentStates(events) : []}
          failed={failed}
          retried={retried}
          transitions={transitionsOf(events)}
          selected={selected}
          onSelect={setSelected}
        />
        <aside>
          <h2>{selected ?? 'Select a state'}</h2>
          {selected && steps.length === 0 && <p>Not visited in this execution.</p>}
          {steps.map((visit, i) => (
            <div key={i} className="step">
              <p>
                entered {visit.enteredAt?.toISOString()}
                {visit.exitedAt && visit.enteredAt ? `, exited ${visit.exitedAt.toISOString()} (${visit.exitedAt.getTime() - visit.enteredAt.getTime()} ms)` : ', still here'}
              </p>
              {visit.attempts > 0 && (
                <p className="attempts">
                  {visit.attempts} attempt{visit.attempts === 1 ? '' : 's'}, {Math.max(0, visit.attempts - 1)} retr{visit.attempts === 2 ? 'y' : 'ies'}
                </p>
              )}
              {visit.errors.length > 0 && (
                <>
                  <h3>Errors</h3>
                  <ul className="errors">
                    {visit.errors.map((err, j) => (
                      <li key={j}>
                        <strong>{err.error ?? 'error'}</strong> {err.at?.toISOString()} <code>{err.cause ?? ''}</code>
                      </li>
                    ))}
                  </ul>
                </>
              )}
              <h3>Input</h3>
              <pre>{pretty(visit.input)}</pre>
              {visit.exitedAt && (
                <>
                  <h3>Output</h3>
                  <pre>{pretty(visit.output)}</pre>
                </>
              )}
            </div>
          ))}
        </aside>
      </div>
      <h2>Path</h2>
      <ol className="path">
        {path.map((p, i) => (
          <li key={i}>{p}</li>
        ))}
      </ol>
    </section>
  );
}

/** The object an execution restores, from its input (the workflow's input carries the objectId). */
function objectOfInput(input: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(input ?? 'null') as { objectId?: unknown } | null;
    return typeof parsed?.objectId === 'string' ? parsed.objectId : undefined;
  } catch {
    return undefined;
  }
}

function pretty(json: string | undefined): string {
  try {
    return JSON.stringify(JSON.parse(json ?? 'null'), null, 2);
  } catch {
    return json ?? '';
  }
}

function Outbox() {
  const messages = useLive(outbox, []);
  return (
    <section>
      <h1>Outbox</h1>
      <Failure error={messages.error} />
      {messages.data?.length === 0 && <p>No email yet.</p>}
      {messages.data?.map((m: OutboxMessage) => (
        <article key={m.file} className="email">
          <header>
            <strong className="subject">{m.subject}</strong>
            <div>
              From {m.from} to {m.to.join(', ')}, {m.date}
            </div>
          </header>
          {/* The email's own HTML, as the recipient sees it; sandboxed: no scripts, no navigation. */}
          <iframe title={m.subject} sandbox="" srcDoc={m.html} />
        </article>
      ))}
    </section>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
