/**
 * The checker run after every scenario, in the manner of Jepsen's: it reads everything back over the
 * public API and compares it with the client's ledger and with the pure fold.
 *
 * - History: every acknowledged event is in its subject's log exactly once, with the content posted
 *   and the sequence the 202 gave; sequences are 1..n without a gap; nothing is in the log that was
 *   never posted. Unacknowledged events (every POST of them failed) may be in or out.
 * - Status: each recipient's status equals `recipientView(foldEvents(history))`, the pure fold.
 * - Feed: walked from the start to the end after the settle horizon, it holds every logged event
 *   exactly once; so does a reader that tailed it live through the scenario, when there was one.
 * - Notifications: every event a subscription wants (accepted after it was created) reached its
 *   receiver at least once, signed, always with `webhookIdOf(subscription, source, id)`, with the
 *   event as logged and the status right after it (the fold up to its sequence); nothing else arrived.
 *
 * `lost`, `countedTwice` and `diverged` sum every violation of each kind; all three must be 0.
 */
import { isDeepStrictEqual } from 'node:util';
import type { StoredEvent } from '../../src/domain/event-schema.ts';
import { foldEvents, recipientView, targetOf } from '../../src/domain/status.ts';
import { parseInstant } from '../../src/domain/time.ts';
import { wants, webhookIdOf } from '../../src/domain/webhooks.ts';
import type { SubscriptionUnderTest } from './receiver.ts';
import type { Ledger } from './workload.ts';

export interface OracleReport {
  subjects: number;
  logged: number;
  acknowledged: number;
  /** Posted, never acknowledged, yet in the log (allowed). */
  unackedButLogged: number;
  /** Posted, never acknowledged, not in the log (allowed). */
  unackedNotLogged: number;
  /** Written by a request that failed (the write applied, the answer lost), then acknowledged as `duplicate` by a retry. */
  ackedOnRetryAsDuplicate: number;
  lost: number;
  countedTwice: number;
  diverged: number;
  feed: { events: number; missing: number; duplicates: number; unknown: number; tailed?: { events: number; missing: number; duplicates: number } };
  notifications: {
    expected: number;
    received: number;
    missing: number;
    /** Events whose notification arrived more than once (at-least-once; always with the same webhook id). */
    redelivered: number;
    wrongId: number;
    unverified: number;
    wrongPayload: number;
    unexpected: number;
    /** Delivery log: deliveries listed, ones not `delivered`, and events with other than one delivery. */
    deliveries?: number;
    notDelivered?: number;
    deliveryLogMismatch?: number;
  };
  problems: string[];
}

export async function getJson(url: string, attempts = 30, headers: Record<string, string> = {}): Promise<any> {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
      if (res.status === 200) return await res.json();
      if (res.status < 500 || i >= attempts) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    } catch (error) {
      if (i >= attempts || (error as Error).message?.startsWith('GET ')) throw error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function history(url: string, recipientId: string): Promise<StoredEvent[]> {
  const items: StoredEvent[] = [];
  let after: string | null = null;
  do {
    const page: any = await getJson(`${url}/v1/recipients/${recipientId}/events?limit=100${after ? `&after=${after}` : ''}`);
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}

/** A feed reader: follows the cursor; `drain()` reads up to the current horizon. */
export function feedReader(url: () => string) {
  const events: StoredEvent[] = [];
  let cursor: string | undefined;
  return {
    events,
    async drain(): Promise<number> {
      let read = 0;
      for (;;) {
        const page: any = await getJson(`${url()}/v1/feed?limit=100${cursor ? `&after=${cursor}` : ''}`);
        events.push(...page.items);
        read += page.items.length;
        cursor = page.next;
        if (page.items.length < 100) return read;
      }
    },
  };
}

/** A reader tailing the feed every `everyMs` until stopped (errors are retried: the tracker may be down). */
export function tailFeed(url: () => string, everyMs = 500) {
  const reader = feedReader(url);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await reader.drain().catch(() => undefined);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    events: reader.events,
    async stop() {
      stopped = true;
      await loop;
      await reader.drain();
      return reader.events;
    },
  };
}

const key = (e: { source: string; id: string }) => targetOf(e.source, e.id);

/** A subscription's delivery log (admin key), every page. */
export async function deliveryLog(url: string, adminKey: string, subscriptionId: string): Promise<any[]> {
  const items: any[] = [];
  let after: string | null = null;
  do {
    const page: any = await getJson(`${url}/v1/subscriptions/${subscriptionId}/deliveries?limit=100${after ? `&after=${after}` : ''}`, 30, {
      authorization: `Bearer ${adminKey}`,
    });
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}
const recipientOf = (subject: string) => subject.slice('recipients/'.length);

export async function checkOracle(input: {
  url: string;
  ledger: Ledger;
  subscriptions?: SubscriptionUnderTest[];
  /** Events a live feed reader collected through the scenario. */
  tailed?: StoredEvent[];
  /** Subjects that may be in the tracker besides the ledger's (seed data). */
  otherSubjects?: string[];
  /** With it, each subscription's delivery log is checked too: one delivery per event, all delivered. */
  adminKey?: string;
}): Promise<OracleReport> {
  const { url, ledger } = input;
  const problems: string[] = [];
  const note = (text: string) => {
    if (problems.length < 50) problems.push(text);
  };
  let lost = 0;
  let countedTwice = 0;
  let diverged = 0;
  let unackedButLogged = 0;
  let unackedNotLogged = 0;

  // Every recipient the tracker knows must be one the scenario posted to.
  const listed: string[] = (await getJson(`${url}/v1/recipients`)).items.map((r: any) => `recipients/${r.recipientId}`);
  const subjects = [...new Set([...ledger.subjects(), ...listed])].sort();
  for (const subject of listed) {
    if (!ledger.subjects().includes(subject) && !input.otherSubjects?.includes(subject)) {
      diverged++;
      note(`${subject} is in the tracker but nothing was posted to it`);
    }
  }

  const logged = new Map<string, StoredEvent>();
  const histories = new Map<string, StoredEvent[]>();
  for (const subject of subjects) {
    if (input.otherSubjects?.includes(subject)) continue;
    const events = await history(url, recipientOf(subject));
    histories.set(subject, events);
    events.forEach((e, i) => {
      if (e.sequence !== i + 1) {
        diverged++;
        note(`${subject}: sequence ${e.sequence} at position ${i + 1} (gap or reorder)`);
      }
      const k = key(e);
      if (logged.has(k)) {
        countedTwice++;
        note(`${subject}: ${k} is in the log twice (sequences ${logged.get(k)!.sequence} and ${e.sequence})`);
        return;
      }
      logged.set(k, e);
      const entry = ledger.entries.get(k);
      if (!entry) {
        diverged++;
        note(`${subject}: ${k} is in the log but was never posted`);
        return;
      }
      for (const [field, value] of Object.entries(entry.event)) {
        if (!isDeepStrictEqual((e as any)[field], value)) {
          diverged++;
          note(`${k}: field ${field} is ${JSON.stringify((e as any)[field])} in the log, ${JSON.stringify(value)} as posted`);
          break;
        }
      }
    });

    // The status must be the pure fold of the log.
    const expected = recipientView(foldEvents(subject, events).state);
    const status = await getJson(`${url}/v1/recipients/${recipientOf(subject)}`).catch(() => undefined);
    if (!isDeepStrictEqual(status, JSON.parse(JSON.stringify(expected)))) {
      diverged++;
      note(`${subject}: status ${JSON.stringify(status)} is not the fold ${JSON.stringify(expected)}`);
    }
  }

  let acknowledged = 0;
  let ackedOnRetryAsDuplicate = 0;
  for (const entry of ledger.entries.values()) {
    if (entry.acked && entry.accepted === 0 && entry.failedAttempts > 0) ackedOnRetryAsDuplicate++;
    const found = logged.get(entry.identity);
    if (entry.conflict > 0) {
      diverged++;
      note(`${entry.identity}: answered conflict ${entry.conflict} time(s) though always posted with the same content`);
    }
    if (!entry.acked) {
      if (found) unackedButLogged++;
      else unackedNotLogged++;
      continue;
    }
    acknowledged++;
    if (!found) {
      lost++;
      note(`${entry.identity}: acknowledged (sequence ${[...entry.sequences]}) but not in the log`);
      continue;
    }
    if (entry.accepted > 1) {
      countedTwice++;
      note(`${entry.identity}: answered "accepted" ${entry.accepted} times`);
    }
    if (entry.sequences.size !== 1 || !entry.sequences.has(found.sequence)) {
      diverged++;
      note(`${entry.identity}: acknowledged with sequence(s) ${[...entry.sequences]}, logged at ${found.sequence}`);
    }
  }

  // The feed, walked from the start after the settle horizon: every logged event exactly once.
  const feedCheck = (events: readonly StoredEvent[], what: string) => {
    const seen = new Set<string>();
    let duplicates = 0;
    let unknown = 0;
    for (const e of events) {
      const k = key(e);
      if (seen.has(k)) {
        duplicates++;
        note(`${what}: ${k} twice`);
      }
      seen.add(k);
      if (!logged.has(k) && !input.otherSubjects?.includes(e.subject)) {
        unknown++;
        note(`${what}: ${k} is not in any history`);
      }
    }
    let missing = 0;
    for (const k of logged.keys()) {
      if (!seen.has(k)) {
        missing++;
        note(`${what}: ${k} (${logged.get(k)!.subject} #${logged.get(k)!.sequence}, recorded ${logged.get(k)!.recordedAt}) is missing`);
      }
    }
    return { events: events.length, missing, duplicates, unknown };
  };
  const reader = feedReader(() => url);
  await reader.drain();
  const feed: OracleReport['feed'] = feedCheck(reader.events, 'feed');
  lost += feed.missing;
  countedTwice += feed.duplicates;
  diverged += feed.unknown;
  if (input.tailed) {
    const tailed = feedCheck(input.tailed, 'tailed feed');
    feed.tailed = { events: tailed.events, missing: tailed.missing, duplicates: tailed.duplicates };
    lost += tailed.missing;
    countedTwice += tailed.duplicates;
    diverged += tailed.unknown;
  }

  // Notifications: at least once each, always the same webhook id, the right payload, nothing else.
  const notifications: OracleReport['notifications'] = { expected: 0, received: 0, missing: 0, redelivered: 0, wrongId: 0, unverified: 0, wrongPayload: 0, unexpected: 0 };
  const statusAfter = new Map<string, unknown>();
  const statusAt = (subject: string, sequence: number) => {
    const k = `${subject}#${sequence}`;
    if (!statusAfter.has(k)) {
      const upTo = (histories.get(subject) ?? []).filter((e) => e.sequence <= sequence);
      statusAfter.set(k, JSON.parse(JSON.stringify(recipientView(foldEvents(subject, upTo).state))));
    }
    return statusAfter.get(k);
  };
  for (const s of input.subscriptions ?? []) {
    const createdAt = parseInstant(s.createdAt)!;
    const expected = [...logged.values()].filter((e) => wants(s, e) && parseInstant(e.recordedAt)! >= createdAt);
    const expectedKeys = new Set(expected.map(key));
    const byEvent = new Map<string, typeof s.receiver.hits>();
    for (const hit of s.receiver.hits) {
      let event: StoredEvent | undefined;
      let status: unknown;
      try {
        const body = JSON.parse(hit.body);
        event = body.data.event;
        status = body.data.status;
      } catch {
        notifications.wrongPayload++;
        note(`subscription ${s.id}: undecodable body ${hit.body.slice(0, 200)}`);
        continue;
      }
      const k = key(event!);
      if (!expectedKeys.has(k)) {
        notifications.unexpected++;
        note(`subscription ${s.id}: notified of ${k}, which it does not want or is not logged`);
        continue;
      }
      byEvent.set(k, [...(byEvent.get(k) ?? []), hit]);
      if (hit.webhookId !== webhookIdOf(s.id, event!.source, event!.id)) {
        notifications.wrongId++;
        note(`subscription ${s.id}: ${k} came with webhook-id ${hit.webhookId}`);
      }
      if (!hit.verified) {
        notifications.unverified++;
        note(`subscription ${s.id}: ${k} failed signature verification`);
      }
      const log = logged.get(k)!;
      if (!isDeepStrictEqual(event, log) || !isDeepStrictEqual(status, statusAt(log.subject, log.sequence))) {
        notifications.wrongPayload++;
        note(`subscription ${s.id}: ${k} payload differs from the log or from the status after it`);
      }
    }
    if (input.adminKey) {
      const log = await deliveryLog(url, input.adminKey, s.id);
      notifications.deliveries = (notifications.deliveries ?? 0) + log.length;
      const perEvent = new Map<string, number>();
      for (const d of log) {
        const k = key(d.event);
        perEvent.set(k, (perEvent.get(k) ?? 0) + 1);
        if (d.state !== 'delivered') {
          notifications.notDelivered = (notifications.notDelivered ?? 0) + 1;
          note(`subscription ${s.id}: delivery of ${k} is ${d.state} after ${d.attempt} attempt(s)`);
        }
        if (d.webhookId !== webhookIdOf(s.id, d.event.source, d.event.id)) {
          notifications.wrongId++;
          note(`subscription ${s.id}: delivery log has ${d.webhookId} for ${k}`);
        }
      }
      for (const k of new Set([...perEvent.keys(), ...expectedKeys])) {
        if (perEvent.get(k) !== 1 || !expectedKeys.has(k)) {
          notifications.deliveryLogMismatch = (notifications.deliveryLogMismatch ?? 0) + 1;
          note(`subscription ${s.id}: ${perEvent.get(k) ?? 0} deliveries of ${k} (expected ${expectedKeys.has(k) ? 1 : 0})`);
        }
      }
    }
    for (const e of expected) {
      notifications.expected++;
      const hits = (byEvent.get(key(e)) ?? []).filter((h) => h.answered >= 200 && h.answered < 300);
      if (hits.length === 0) {
        notifications.missing++;
        note(`subscription ${s.id}: ${key(e)} (${e.type}) never reached the subscriber`);
      } else {
        notifications.received++;
        if (hits.length > 1) notifications.redelivered++;
      }
    }
  }
  lost += notifications.missing;
  diverged += notifications.wrongId + notifications.unverified + notifications.wrongPayload + notifications.unexpected;
  diverged += (notifications.notDelivered ?? 0) + (notifications.deliveryLogMismatch ?? 0);

  return {
    subjects: histories.size,
    logged: logged.size,
    acknowledged,
    unackedButLogged,
    unackedNotLogged,
    ackedOnRetryAsDuplicate,
    lost,
    countedTwice,
    diverged,
    feed,
    notifications,
    problems,
  };
}

/**
 * Waits until every recipient's status has caught up with its log and every subscription has received
 * every event it wants (counted from the ledger: all events are acknowledged by then). Returns the ms it took.
 */
export async function waitConverged(input: {
  url: () => string;
  ledger: Ledger;
  subscriptions?: SubscriptionUnderTest[];
  timeoutMs: number;
  what?: string;
  /** With it, also waits until every subscription's delivery log is settled (every delivery `delivered`). */
  adminKey?: string;
}): Promise<{ projectedMs: number; notifiedMs: number; settledMs: number }> {
  const start = Date.now();
  const deadline = start + input.timeoutMs;
  const perSubject = new Map<string, number>();
  for (const e of input.ledger.entries.values()) perSubject.set(e.event.subject, (perSubject.get(e.event.subject) ?? 0) + 1);
  let projectedMs: number | undefined;
  let notifiedMs: number | undefined;
  let behind = '';
  for (;;) {
    if (projectedMs === undefined) {
      behind = '';
      for (const [subject, count] of perSubject) {
        const status = await getJson(`${input.url()}/v1/recipients/${recipientOf(subject)}`).catch(() => undefined);
        if ((status?.sequence ?? 0) < count) {
          behind = `${subject} at ${status?.sequence ?? 'none'} of ${count}`;
          break;
        }
      }
      if (!behind) projectedMs = Date.now() - start;
    }
    if (projectedMs !== undefined && notifiedMs === undefined) {
      behind = '';
      for (const s of input.subscriptions ?? []) {
        const want = [...input.ledger.entries.values()].filter((e) => wants(s, e.event)).map((e) => `${e.event.source} ${e.event.id}`);
        const got = s.receiver.received();
        const missing = want.filter((k) => !got.has(k));
        if (missing.length > 0) {
          behind = `subscription ${s.id}: ${missing.length} of ${want.length} not yet received`;
          break;
        }
      }
      if (!behind) notifiedMs = Date.now() - start;
    }
    if (notifiedMs !== undefined) {
      behind = '';
      for (const s of input.adminKey ? (input.subscriptions ?? []) : []) {
        const want = [...input.ledger.entries.values()].filter((e) => wants(s, e.event)).length;
        const log = await deliveryLog(input.url(), input.adminKey!, s.id).catch(() => []);
        const pending = log.filter((d) => d.state !== 'delivered').length;
        if (log.length < want || pending > 0) {
          behind = `subscription ${s.id}: ${log.length} of ${want} deliveries, ${pending} not yet delivered`;
          break;
        }
      }
      if (!behind) return { projectedMs: projectedMs!, notifiedMs, settledMs: Date.now() - start };
    }
    if (Date.now() > deadline) throw new Error(`${input.what ?? 'scenario'} did not converge in ${input.timeoutMs} ms: ${behind}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
