import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { costPer1000, detectionCostPerRead, perObject, type FullPriceTable } from '../../bench/cost.js';

const prices = JSON.parse(readFileSync(new URL('../../pricing/us-east-1.json', import.meta.url), 'utf8')) as FullPriceTable;

describe('detection cost', () => {
  it('is one CloudTrail data event per read; CloudTrail events reach the default bus free', () => {
    expect(detectionCostPerRead(prices)).toEqual({ cloudTrailDataEvent: 0.000001, eventBridge: 0, total: 0.000001 });
  });

  it('counts the read events detect-access received and prices them per 1,000 objects', () => {
    const counts = perObject({ objects: 20, stateTransitions: 140, s3: { GetObject: 20, HeadObject: 20 }, dynamodb: {}, lambda: { 'detect-access': 40, 'restore-steps': 60 }, sesSent: 4, ticks: 0 });
    expect(counts.readEvents).toBe(2);
    expect(costPer1000(counts, prices).detection).toBeCloseTo(0.002, 10);
  });
});
