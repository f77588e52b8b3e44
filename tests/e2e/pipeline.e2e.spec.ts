/**
 * End to end over HTTP against the local stack (DynamoDB Local, fauxqs, pollers, API): 1,000
 * posts from 8 concurrent clients, 30% of them duplicates, shuffled, with retractions, must end
 * in exactly the pure fold of the unique events, with gap-free sequences per subject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { foldEvents, recipientView } from '../../src/domain/status.ts';
import { E2E_ADMIN_KEY, eventually, fullHistory, getJson, postEvents } from '../support/http.ts';
import { randomEvents, rng, shuffle } from '../support/random-events.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ seed: '0', reconcileEverySeconds: 2, reconcileGraceSeconds: 2, adminKey: E2E_ADMIN_KEY });
});
afterAll(async () => stack?.stop());

describe('pipeline under concurrency, duplication and reordering', () => {
  it('ends in the pure fold of the unique, non-retracted events', async () => {
    const random = rng(20251031);
    const unique = randomEvents({ seed: 7, count: 700, recipients: 6, retractionShare: 0.06 });
    const posts = shuffle([...unique, ...shuffle([...unique], random).slice(0, 300)], random);
    expect(posts).toHaveLength(1000);
    expect(unique.filter((e) => e.type === 'event.retracted').length).toBeGreaterThan(10);

    // 8 clients, each posting its share in batches of 1–25 (some one by one, as single structured events).
    const shares = Array.from({ length: 8 }, (_, c) => posts.filter((_, i) => i % 8 === c));
    const results = (
      await Promise.all(
        shares.map(async (share) => {
          const out: any[] = [];
          for (let i = 0; i < share.length; ) {
            const size = 1 + Math.floor(random() * 25);
            const batch = share.slice(i, i + size);
            i += size;
            const res = batch.length === 1 && random() < 0.5
              ? await postEvents(stack.url, batch[0], 'application/cloudevents+json')
              : await postEvents(stack.url, batch);
            expect(res.status).toBe(202);
            out.push(...res.body.results);
          }
          return out;
        }),
      )
    ).flat();

    expect(results).toHaveLength(1000);
    expect(results.filter((r) => r.status === 'conflict')).toEqual([]);
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(700);

    const recipients = [...new Set(unique.map((e) => e.subject.slice('recipients/'.length)))].sort();
    for (const id of recipients) {
      const history = await fullHistory(stack.url, id);
      // Gap-free sequences 1..n, each unique event exactly once.
      expect(history.map((e) => e.sequence)).toEqual(history.map((_, i) => i + 1));
      const expectedIds = unique.filter((e) => e.subject === `recipients/${id}`).map((e) => `${e.source} ${e.id}`).sort();
      expect(history.map((e) => `${e.source} ${e.id}`).sort()).toEqual(expectedIds);

      const expected = recipientView(foldEvents(`recipients/${id}`, history).state);
      const status = await eventually(async () => {
        const res = await getJson(`${stack.url}/v1/recipients/${id}`);
        return res.status === 200 && res.body.sequence === history.length ? res.body : undefined;
      });
      expect(status).toEqual(expected);
    }

    const summary = (await getJson(`${stack.url}/v1/summary`)).body;
    const statuses = await Promise.all(recipients.map(async (id) => (await getJson(`${stack.url}/v1/recipients/${id}`)).body));
    expect(summary.recipients).toBe(recipients.length);
    expect(summary.delivered).toBe(statuses.reduce((n, s) => n + s.delivered, 0));
    expect(summary.allocated).toBe(statuses.reduce((n, s) => n + s.allocated, 0));
  });
});
