/** The Lambda metrics: ingest outcomes become EMF counts, published once per invocation. */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { count, createMetrics, observeIngest, publishingMetrics } from '../../src/telemetry.ts';

afterEach(() => vi.restoreAllMocks());

/** Every JSON line written to stdout while `run` runs. */
async function stdoutJson(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  await run();
  vi.restoreAllMocks();
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('telemetry', () => {
  it('counts accepted, duplicate and conflict results and logs each accepted event with id and subject', async () => {
    const metrics = createMetrics();
    const logger = new Logger({ serviceName: 'gpu-policy-tracker' });
    const handler = publishingMetrics(metrics, async () => {
      observeIngest(metrics, logger, [
        { source: '/a', id: 'e1', status: 'accepted', sequence: 1 },
        { source: '/a', id: 'e2', status: 'accepted', sequence: 2 },
        { source: '/a', id: 'e3', status: 'duplicate', sequence: 1 },
        { source: '/a', id: 'e4', status: 'conflict', sequence: 3 },
      ], ['recipients/x', 'recipients/x', 'recipients/x', 'recipients/y']);
      count(metrics, 'EventsRejected', 0); // zero counts are not emitted
      return 'done';
    });
    const out = await stdoutJson(() => handler());
    const emf = out.find((o) => '_aws' in o)!;
    expect(emf).toMatchObject({ EventsAccepted: 2, EventsDuplicate: 1, EventsConflict: 1, service: 'gpu-policy-tracker' });
    expect(emf).not.toHaveProperty('EventsRejected');
    const accepted = out.filter((o) => o.message === 'event accepted');
    expect(accepted.map((o) => [o.eventId, o.subject, o.sequence])).toEqual([['e1', 'recipients/x', 1], ['e2', 'recipients/x', 2]]);
  });
});
