/**
 * The overview: restores in flight by state and tier, executions finished and failed today,
 * emails sent, notices pending, the dead-letter queue's depth and this month's spending on
 * restores, each read from its own API.
 */
import { allExecutions, deadLetterDepth, openCycles, outbox, pendingNotices, spendingThisMonth } from './aws';
import { overviewOf, type Overview } from './overview-counts';
import { Failure, link, useLive } from './ui';

async function loadOverview(): Promise<Overview> {
  const [cycles, executions, emails, notices, deadLetters, spending] = await Promise.all([openCycles(), allExecutions(), outbox(), pendingNotices(), deadLetterDepth(), spendingThisMonth()]);
  return overviewOf({ openCycles: cycles, executions, emails, pendingNotices: notices, deadLetters, spending }, new Date());
}

function Figure({ name, label, value, tone, href }: { name: string; label: string; value: number; tone?: 'good' | 'bad' | 'warn'; href?: string }) {
  const number = (
    <span className="value" data-count={name}>
      {value}
    </span>
  );
  return (
    <div className={`figure ${tone && value > 0 ? tone : ''}`}>
      {href ? <a href={href}>{number}</a> : number}
      <span className="label">{label}</span>
    </div>
  );
}

/** Horizontal bars, one per entry, scaled to the largest: enough to compare at a glance. */
function Bars({ title, entries }: { title: string; entries: [string, number][] }) {
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const row = 22;
  return (
    <figure className="bars">
      <figcaption>{title}</figcaption>
      {entries.length === 0 ? (
        <p>None.</p>
      ) : (
        <svg width="100%" height={entries.length * row} viewBox={`0 0 320 ${entries.length * row}`} preserveAspectRatio="xMinYMin meet" role="img" aria-label={title}>
          {entries.map(([name, n], i) => (
            <g key={name} transform={`translate(0 ${i * row})`}>
              <text x={0} y={15} className="bar-name">
                {name}
              </text>
              <rect x={130} y={4} width={Math.max(2, (n / max) * 150)} height={14} rx={2} />
              <text x={136 + (n / max) * 150} y={15} className="bar-value">
                {n}
              </text>
            </g>
          ))}
        </svg>
      )}
    </figure>
  );
}

export function OverviewPage() {
  const data = useLive(loadOverview, []);
  const o = data.data;
  const tiers = o ? [...new Set(Object.values(o.inFlightByState).flatMap((byTier) => Object.keys(byTier)))].sort() : [];
  return (
    <section className="overview">
      <h1>Overview</h1>
      <Failure error={data.error} />
      {o && (
        <>
          <div className="figures">
            <Figure name="in-flight" label="restores in flight" value={o.inFlight} />
            <Figure name="running" label="executions running" value={o.running} href={link('executions', 'RUNNING')} />
            <Figure name="succeeded-today" label="succeeded today" value={o.succeededToday} tone="good" href={link('executions', 'SUCCEEDED')} />
            <Figure name="failed-today" label="failed today" value={o.failedToday} tone="bad" href={link('executions', 'FAILED')} />
            <Figure name="emails-sent" label={`emails sent (${o.emailsSentToday} today)`} value={o.emailsSent} href={link('outbox')} />
            <Figure name="notices-pending" label="notices pending" value={o.noticesPending} tone="warn" />
            <Figure name="dead-letters" label="in the dead-letter queue" value={o.deadLetters} tone="bad" />
            <div className="figure">
              <span className="value" data-spent-micro-usd={o.spentThisMonthMicroUsd}>
                ${(o.spentThisMonthMicroUsd / 1_000_000).toFixed(2)}
              </span>
              <span className="label">
                spent on restores this month (<span data-count="restores-this-month">{o.restoresThisMonth}</span> restores)
              </span>
            </div>
          </div>
          <div className="charts">
            <Bars title="In flight by state" entries={Object.entries(o.inFlightByState).map(([state, byTier]) => [state, Object.values(byTier).reduce((a, b) => a + b, 0)])} />
            <Bars
              title="Executions ended today"
              entries={[
                ['succeeded', o.succeededToday],
                ['failed', o.failedToday],
              ]}
            />
            <Bars title="Notices pending by kind" entries={Object.entries(o.noticesPendingByKind)} />
          </div>
          <h2>In flight by state and tier</h2>
          <table className="in-flight">
            <thead>
              <tr>
                <th>State</th>
                {tiers.map((t) => (
                  <th key={t}>{t}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {Object.entries(o.inFlightByState).map(([state, byTier]) => (
                <tr key={state}>
                  <th>{state}</th>
                  {tiers.map((t) => (
                    <td key={t} data-state={state} data-tier={t}>
                      {byTier[t] ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {o.inFlight === 0 && <p>No restore in flight.</p>}
        </>
      )}
    </section>
  );
}
