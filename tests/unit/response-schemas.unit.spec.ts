/**
 * The zod response schemas (`src/app/response-schemas.ts`) say what the domain returns: their
 * types equal the domain's interfaces (checked by the compiler), and the views the fold, totals
 * and ingest produce from the sample and seed events parse with them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import * as R from '../../src/app/response-schemas.ts';
import type { ApiKeyView } from '../../src/domain/access.ts';
import type { StoredEvent, TrackerEvent } from '../../src/domain/event-schema.ts';
import { foldEvents, type MouEntry, mouView, type RecipientStatus, recipientView } from '../../src/domain/status.ts';
import { type ProgramTotals, type Summary, programTotals, summarize } from '../../src/domain/totals.ts';
import type { DeliveryView, SubscriptionView } from '../../src/domain/webhooks.ts';
import type { IngestResult } from '../../src/services/ingest.ts';
import type { ReplayReport } from '../../src/services/notifier.ts';

/** `true` when A and B are the same type; `false` otherwise (so `same<A, B>(true)` compiles only for equal types). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(check: Same<A, B>) => check;
/** `true` when every A is a B. */
const fits = <A, B>(check: [A] extends [B] ? true : false) => check;

describe('response schemas', () => {
  it('have the types of the domain’s interfaces (checked when the file compiles)', () => {
    const checks = [
      same<z.output<typeof R.RecipientStatus>, RecipientStatus>(true),
      same<z.output<typeof R.ProgramTotals>, ProgramTotals>(true),
      same<z.output<typeof R.MouEntry>, MouEntry>(true),
      same<z.output<typeof R.IngestResult>, IngestResult>(true),
      same<z.output<typeof R.ApiKeyView>, ApiKeyView>(true),
      same<z.output<typeof R.SubscriptionView>, SubscriptionView>(true),
      same<z.output<typeof R.ReplayReport>, ReplayReport>(true),
      // Narrower than the domain's types: bySector keyed by sector, a delivery's event type one of the types.
      fits<z.output<typeof R.Summary>, Summary>(true),
      fits<z.output<typeof R.DeliveryView>, DeliveryView>(true),
    ];
    expect(checks.every(Boolean)).toBe(true);
  });

  const ROOT = resolve(import.meta.dirname, '..', '..', 'events');
  const events = ['seed', 'demo', 'samples'].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((n) => n.endsWith('.json'))
      .flatMap((n) => {
        const json = JSON.parse(readFileSync(join(ROOT, dir, n), 'utf8')) as unknown;
        return ((Array.isArray(json) ? json : [json]) as TrackerEvent[]).filter((e) => e.specversion === '1.0');
      }),
  );
  const stored: StoredEvent[] = events.map((e, i) => ({ ...e, sequence: i + 1, recordedAt: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z` }) as StoredEvent);
  const subjects = [...new Set(stored.map((e) => e.subject))];
  const states = subjects.map((s) => foldEvents(s, stored.filter((e) => e.subject === s)).state);
  const recipients = states.filter((s) => s.subject.startsWith('recipients/')).map(recipientView);
  const mous = states.filter((s) => s.subject.startsWith('mous/')).map(mouView).filter((m) => m !== undefined);

  it('parse the statuses, totals and MoUs the domain computes from the seed, demo and sample events', () => {
    expect(recipients.length).toBeGreaterThan(3);
    expect(mous.length).toBeGreaterThan(0);
    for (const r of recipients) expect(() => R.RecipientStatus.parse(r)).not.toThrow();
    R.RecipientList.parse({ items: recipients });
    R.Summary.parse(summarize(recipients));
    const program = Object.keys(recipients.find((r) => Object.keys(r.programs).length > 0)!.programs)[0]!;
    R.ProgramTotals.parse(programTotals(program, recipients));
    R.MouList.parse({ items: mous });
  });

  it('parse every stored event, and refuse one whose data does not fit its type', () => {
    for (const e of stored) R.StoredEvent.parse(e);
    R.HistoryPage.parse({ items: stored.slice(0, 5), next: 'eyJzIjo1fQ' });
    R.FeedPage.parse({ items: stored.slice(0, 5), next: 'eyJiIjoiMjAyNi0wMS0wMVQwMCIsImsiOiIifQ' });
    const shipped = stored.find((e) => e.type === 'delivery.shipped')!;
    expect(R.StoredEvent.safeParse({ ...shipped, data: { ...shipped.data, quantity: -1 } }).success).toBe(false);
    expect(R.StoredEvent.safeParse({ ...shipped, sequence: 0 }).success).toBe(false);
  });

  it('parse a webhook notification built from a stored event and its status', () => {
    const event = stored.find((e) => e.subject === `recipients/${recipients[0]!.recipientId}`)!;
    R.WebhookNotification.parse({ type: event.type, timestamp: event.recordedAt, data: { event, status: recipients[0] } });
    R.WebhookNotification.parse({ type: event.type, timestamp: event.recordedAt, data: { event, status: null } });
  });
});
