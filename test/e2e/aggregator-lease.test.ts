/**
 * The aggregator's sending lease on the local cloud: its duration is simulated time, so a tick
 * killed while holding it (a crash, `kill -9`) delays the emails by 300 simulated seconds, as
 * on AWS, and not by five real minutes.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tick, type AggregatorDeps } from '../../functions/notify-aggregator/aggregator.js';
import { loadEnv, notifyAggregatorEnvSchema } from '../../functions/domain/wiring/config.js';
import { eventually } from '../../local/eventually.js';
import { recordingLog } from '../support/log.js';
import { startHarness, type Harness } from '../../local/harness.js';

const REAL_MS_PER_SIMULATED_HOUR = 1000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ realMsPerSimulatedHour: REAL_MS_PER_SIMULATED_HOUR });
  await h.createBucket('lease-archive');
});
afterAll(() => h.stop());

describe('the aggregator lease on the local cloud', () => {
  it('is 300 simulated seconds, handed to the function in real seconds', () => {
    const env = loadEnv(notifyAggregatorEnvSchema, h.cloud.functions.environment);
    expect(env.AGGREGATOR_LEASE_SECONDS).toBeCloseTo((300 * REAL_MS_PER_SIMULATED_HOUR) / 3_600_000, 9);
    expect(env.AGGREGATOR_LEASE_SECONDS).toBeCloseTo(h.cloud.clock.realSeconds(300), 9);
  });

  it('a tick killed while holding it holds up the emails only until it lapses on the simulated clock', async () => {
    // The aggregator as the local cloud configured it, killed half way through a tick: it took
    // the lease and never gives it back.
    const env = loadEnv(notifyAggregatorEnvSchema, h.cloud.functions.environment);
    const notices = Object.assign(Object.create(h.notices) as typeof h.notices, { pending: () => Promise.reject(new Error('killed')), releaseLease: async () => undefined });
    const killed: AggregatorDeps = {
      ses: new SESv2Client({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIAKILLEDTICK000001', secretAccessKey: 'local' } }),
      records: h.records,
      notices,
      principals: h.principals,
      audit: h.audit,
      sender: env.SENDER_ADDRESS,
      rules: { debounceMs: env.DEBOUNCE_SECONDS * 1000, maxWaitMs: env.MAX_WAIT_SECONDS * 1000 },
      maxFilesPerEmail: env.MAX_FILES_PER_EMAIL,
      unresolvedRetentionMs: env.UNRESOLVED_RETENTION_SECONDS * 1000,
      leaseMs: env.AGGREGATOR_LEASE_SECONDS * 1000,
      now: () => new Date(),
      log: recordingLog(),
      metrics: { count: () => undefined, milliseconds: () => undefined },
    };
    // The local cloud's own ticks take the lease every simulated minute: try until the killed tick holds it (it dies only after taking it).
    await eventually(
      async () => {
        try {
          await tick(killed); // skipped: another tick held the lease
          return undefined;
        } catch (err) {
          if ((err as Error).message === 'killed') return true;
          throw err;
        }
      },
      'the killed tick to take the lease',
      10_000,
    );
    killed.ses.destroy();

    await h.principals.put('AKIALEASEREADER00001', 'reader@example.com', new Date());
    await h.putObject('lease-archive', 'after-the-crash.csv', 'GLACIER');
    expect(await h.read('lease-archive', 'after-the-crash.csv', 'AKIALEASEREADER00001')).toBe('InvalidObjectState');
    // Five real minutes before the change; well under a real second of lease now. The limit is generous for a loaded machine.
    const emails = await eventually(
      () => {
        const started = h.cloud.ses.list().filter((m) => m.to.includes('reader@example.com'));
        return started.length > 0 ? started : undefined;
      },
      'the "started" email',
      20_000,
    );
    expect(emails[0]!.subject).toBe('Restoring 1 file from archive');
  });
});
