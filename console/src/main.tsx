import { useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { auditHistory, buckets, execution, executions, listObjects, outbox, type AuditEntry, type OutboxMessage } from './aws';
import { objectIdOf } from '../../functions/domain/rules/object-id-format';
import { layout, NODE_H, NODE_W, type Asl } from './graph';
import './style.css';

/** Polls a loader: the live view refreshes every two seconds. */
function useLive<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: string } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  useEffect(() => {
    let stopped = false;
    const run = () =>
      load().then(
        (data) => !stopped && setState({ data }),
        (err: unknown) => !stopped && setState((s) => ({ ...s, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })),
      );
    void run();
    const timer = setInterval(run, 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}

function useHash(): string[] {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
}

const link = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;

function App() {
  const [page, ...args] = useHash();
  let content: ReactNode;
  if (page === 'timeline') content = <Timeline objectId={args.join('/')} />;
  else if (page === 'executions') content = <Executions status={args[0]} />;
  else if (page === 'execution') content = <Execution arn={args.join('/')} />;
  else if (page === 'outbox') content = <Outbox />;
  else content = <Objects bucket={args[0]} prefix={args.slice(1).join('/')} />;
  return (
    <>
      <nav>
        <strong>S3 Autorestore</strong>
        <a href={link('objects')}>Objects</a>
        <a href={link('executions')}>Executions</a>
        <a href={link('outbox')}>Outbox</a>
        <span className="live">live</span>
      </nav>
      <main>{content}</main>
    </>
  );
}

function Failure({ error }: { error?: string }) {
  return error ? <p className="error">{error}</p> : null;
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
                <a className="key" href={link('timeline', objectIdOf({ bucket, key: o.Key! }))}>
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

function Timeline({ objectId }: { objectId: string }) {
  const history = useLive(() => auditHistory(objectId), [objectId]);
  return (
    <section>
      <h1>Timeline</h1>
      <p className="key">{objectId}</p>
      <Failure error={history.error} />
      <ol className="timeline">
        {history.data?.map((e: AuditEntry) => (
          <li key={e.at} data-type={e.type}>
            <time>{e.time}</time> <span className="cycle">cycle {e.cycle ?? '-'}</span> <strong>{e.type}</strong>{' '}
            {typeof e.detail.executionArn === 'string' && <a href={link('execution', e.detail.executionArn)}>execution</a>}
            <code>{JSON.stringify(e.detail)}</code>
          </li>
        ))}
      </ol>
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
  if (!data.data) return <Failure error={data.error ?? undefined} />;
  const { described, definition, events } = data.data;
  const graph = layout(definition as Asl);
  const entered = events.filter((e) => e.type?.endsWith('StateEntered'));
  const exited = events.filter((e) => e.type?.endsWith('StateExited'));
  const visited = new Set(entered.map((e) => e.stateEnteredEventDetails!.name!));
  const exitedCount = (name: string) => exited.filter((e) => e.stateExitedEventDetails!.name === name).length;
  const enteredCount = (name: string) => entered.filter((e) => e.stateEnteredEventDetails!.name === name).length;
  const current = described.status === 'RUNNING' ? [...visited].filter((n) => enteredCount(n) > exitedCount(n)) : [];
  const position = new Map(graph.nodes.map((n) => [n.name, n]));
  const path = entered.map((e) => e.stateEnteredEventDetails!.name!);
  const taken = new Set(path.slice(1).map((to, i) => `${path[i]}\u0000${to}`));
  const steps = selected ? entered.filter((e) => e.stateEnteredEventDetails!.name === selected) : [];
  return (
    <section>
      <h1>{described.name}</h1>
      <p>
        <span className={`status ${described.status}`}>{described.status}</span> started {described.startDate?.toISOString()}
        {described.stopDate ? `, stopped ${described.stopDate.toISOString()}` : ''} {described.error ? ` - ${described.error}: ${described.cause ?? ''}` : ''}
      </p>
      <div className="execution">
        <svg width={graph.width} height={graph.height} role="img" aria-label="state machine graph">
          {graph.edges.map((e) => {
            const a = position.get(e.from)!;
            const b = position.get(e.to)!;
            const x1 = a.x + NODE_W / 2,
              y1 = a.y + NODE_H,
              x2 = b.x + NODE_W / 2,
              y2 = b.y;
            const back = y2 <= y1;
            const d = back
              ? `M ${a.x + NODE_W} ${a.y + NODE_H / 2} C ${a.x + NODE_W + 60} ${a.y}, ${b.x + NODE_W + 60} ${b.y + NODE_H}, ${b.x + NODE_W} ${b.y + NODE_H / 2}`
              : `M ${x1} ${y1} L ${x2} ${y2}`;
            return <path key={`${e.from}-${e.to}`} d={d} className={`edge ${e.kind} ${taken.has(`${e.from}\u0000${e.to}`) ? 'taken' : ''}`} />;
          })}
          {graph.nodes.map((n) => (
            <g
              key={n.name}
              className={`state ${visited.has(n.name) ? 'visited' : ''} ${current.includes(n.name) ? 'current' : ''} ${selected === n.name ? 'selected' : ''}`}
              data-state={n.name}
              data-visited={visited.has(n.name)}
              onClick={() => setSelected(n.name)}
            >
              <rect x={n.x} y={n.y} width={NODE_W} height={NODE_H} rx={6} />
              <text x={n.x + NODE_W / 2} y={n.y + NODE_H / 2 + 4} textAnchor="middle">
                {n.name}
              </text>
            </g>
          ))}
        </svg>
        <aside>
          <h2>{selected ?? 'Select a state'}</h2>
          {selected && steps.length === 0 && <p>Not visited in this execution.</p>}
          {steps.map((e) => {
            const exit = events.find((x) => x.id! > e.id! && x.stateExitedEventDetails?.name === selected);
            return (
              <div key={e.id} className="step">
                <p>
                  entered {e.timestamp?.toISOString()}
                  {exit ? `, exited ${exit.timestamp?.toISOString()} (${exit.timestamp!.getTime() - e.timestamp!.getTime()} ms)` : ', still here'}
                </p>
                <h3>Input</h3>
                <pre>{pretty(e.stateEnteredEventDetails?.input)}</pre>
                {exit && (
                  <>
                    <h3>Output</h3>
                    <pre>{pretty(exit.stateExitedEventDetails?.output)}</pre>
                  </>
                )}
              </div>
            );
          })}
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
