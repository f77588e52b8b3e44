/**
 * The client side of a fault scenario: seeded events, concurrent clients that post them in batches
 * (with deliberate duplicates), retry every failed or timed-out request as is until it is answered
 * (CONTRACT §2: a 5xx or a timeout may be retried as is), and a ledger of what the tracker
 * acknowledged. The oracle checks the tracker against the ledger.
 */
import type { TrackerEvent } from '../../src/domain/event-schema.ts';
import { targetOf } from '../../src/domain/status.ts';
import { randomEvents, shuffle } from '../support/random-events.ts';

export interface LedgerEntry {
  event: TrackerEvent;
  identity: string;
  /** Acknowledged: a 202 listed it as accepted or duplicate. */
  acked: boolean;
  /** First acknowledgement (ms since epoch). */
  ackedAt?: number;
  /** Sequences the tracker answered for it (must be one). */
  sequences: Set<number>;
  /** Times a 202 reported it `accepted` (more than once would be a double append). */
  accepted: number;
  duplicate: number;
  conflict: number;
  /** Requests carrying it that failed (5xx, 429, timeout, connection error). */
  failedAttempts: number;
}

export class Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  /** Event submissions (each event of each request, retries and deliberate duplicates included). */
  submissions = 0;
  requests = 0;
  failedRequests = 0;
  /** Failed requests by cause: status code, `timeout` or `network`. */
  failures: Record<string, number> = {};
  lastAckAt = 0;

  add(events: readonly TrackerEvent[]): void {
    for (const event of events) {
      const identity = targetOf(event.source, event.id);
      if (!this.entries.has(identity)) {
        this.entries.set(identity, { event, identity, acked: false, sequences: new Set(), accepted: 0, duplicate: 0, conflict: 0, failedAttempts: 0 });
      }
    }
  }

  get(event: TrackerEvent): LedgerEntry {
    return this.entries.get(targetOf(event.source, event.id))!;
  }

  unacked(): TrackerEvent[] {
    return [...this.entries.values()].filter((e) => !e.acked).map((e) => e.event);
  }

  counts() {
    const all = [...this.entries.values()];
    return {
      events: all.length,
      acknowledged: all.filter((e) => e.acked).length,
      submissions: this.submissions,
      requests: this.requests,
      failedRequests: this.failedRequests,
      failures: { ...this.failures },
    };
  }

  subjects(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.event.subject))].sort();
  }
}

export interface PostOptions {
  url: () => string;
  key: string;
  timeoutMs: number;
}

type Attempt = { ok: true; results: { source: string; id: string; status: string; sequence: number }[] } | { ok: false; cause: string; retryAfterMs?: number };

async function postOnce(opts: PostOptions, batch: readonly TrackerEvent[]): Promise<Attempt> {
  try {
    const res = await fetch(`${opts.url()}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json', authorization: `Bearer ${opts.key}` },
      body: JSON.stringify(batch),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const text = await res.text();
    if (res.status === 202) return { ok: true, results: (JSON.parse(text) as { results: any[] }).results };
    const retryAfter = Number(res.headers.get('retry-after'));
    if (res.status >= 500 || res.status === 429) {
      return { ok: false, cause: String(res.status), ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) };
    }
    throw new Error(`POST /v1/events answered ${res.status}: ${text.slice(0, 500)}`);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('POST /v1/events answered')) throw error;
    const name = (error as Error)?.name;
    return { ok: false, cause: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network' };
  }
}

/**
 * Posts `batch` until the tracker answers 202 or `giveUpAt` passes (then the events stay unacknowledged).
 * Returns the milliseconds from the first attempt to the answer, or undefined when it gave up.
 */
export async function postUntilAnswered(opts: PostOptions, ledger: Ledger, batch: readonly TrackerEvent[], giveUpAt = Infinity): Promise<number | undefined> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    ledger.requests++;
    ledger.submissions += batch.length;
    const answer = await postOnce(opts, batch);
    if (answer.ok) {
      const now = Date.now();
      for (const r of answer.results) {
        const entry = ledger.entries.get(targetOf(r.source, r.id));
        if (!entry) throw new Error(`the tracker answered for an event never posted: ${r.source} ${r.id}`);
        if (r.status === 'conflict') {
          entry.conflict++;
          continue;
        }
        if (r.status === 'accepted') entry.accepted++;
        else entry.duplicate++;
        entry.sequences.add(r.sequence);
        if (!entry.acked) {
          entry.acked = true;
          entry.ackedAt = now;
        }
      }
      ledger.lastAckAt = Math.max(ledger.lastAckAt, now);
      return now - started;
    }
    ledger.failedRequests++;
    ledger.failures[answer.cause] = (ledger.failures[answer.cause] ?? 0) + 1;
    for (const event of batch) ledger.get(event).failedAttempts++;
    if (Date.now() > giveUpAt) return undefined;
    const backoff = Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
    await new Promise((r) => setTimeout(r, Math.max(backoff, answer.retryAfterMs ?? 0)));
  }
}

export interface LoadOptions extends PostOptions {
  ledger: Ledger;
  events: readonly TrackerEvent[];
  random: () => number;
  clients: number;
  batch: [number, number];
  /** Chance that a batch also carries copies of earlier events (deliberate duplicates). */
  duplicateShare: number;
  /** Offered events per second at a time since the start (ms); none: as fast as the clients go. */
  rate?: (elapsedMs: number) => number;
  /** Stop retrying a request after this time (its events stay unacknowledged). */
  giveUpAt?: number;
  /** Called every ~250 ms with the number of events handed out so far. */
  onTick?: (posted: number) => void | Promise<void>;
}

export interface LoadStats {
  durationMs: number;
  /** Milliseconds from the first attempt of each answered request to its 202, with the time it was sent. */
  latencies: { at: number; ms: number }[];
}

/** Runs the clients over `events` (each posted at least once), recording every answer in the ledger. */
export async function runLoad(opts: LoadOptions): Promise<LoadStats> {
  opts.ledger.add(opts.events);
  const start = Date.now();
  let next = 0;
  let offered = 0;
  const latencies: LoadStats['latencies'] = [];
  const posted: TrackerEvent[] = [];
  const ticker = opts.onTick ? setInterval(() => void opts.onTick!(next), 250) : undefined;

  /** Waits until the offered rate allows `n` more events (a token bucket holding at most one second of the rate). */
  let allowance = 0;
  let allowanceAt = 0;
  async function pace(n: number): Promise<void> {
    if (!opts.rate) return;
    for (;;) {
      const elapsed = Date.now() - start;
      const rate = Math.max(0.1, opts.rate(elapsed));
      // At most one second of the rate (or one batch) saved up.
      allowance = Math.min(offered + Math.max(rate, n), allowance + ((elapsed - allowanceAt) / 1000) * rate);
      allowanceAt = elapsed;
      if (offered + n <= allowance) {
        offered += n;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(5, ((offered + n - allowance) / rate) * 1000))));
    }
  }

  const client = async () => {
    while (next < opts.events.length) {
      const size = opts.batch[0] + Math.floor(opts.random() * (opts.batch[1] - opts.batch[0] + 1));
      const batch = opts.events.slice(next, next + size);
      next += batch.length;
      if (opts.random() < opts.duplicateShare && posted.length > 0) {
        const copies = 1 + Math.floor(opts.random() * 3);
        for (let i = 0; i < copies; i++) batch.push(posted[Math.floor(opts.random() * posted.length)]!);
      }
      await pace(batch.length);
      const sentAt = Date.now();
      const ms = await postUntilAnswered(opts, opts.ledger, shuffle([...batch], opts.random), opts.giveUpAt);
      if (ms !== undefined) latencies.push({ at: sentAt - start, ms });
      posted.push(...batch);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.clients }, client));
  } finally {
    if (ticker) clearInterval(ticker);
  }
  return { durationMs: Date.now() - start, latencies };
}

/** Posts every unacknowledged event again until all are acknowledged (the client's own convergence). */
export async function retryUnacknowledged(opts: PostOptions & { ledger: Ledger; giveUpAt: number }): Promise<number> {
  const pending = opts.ledger.unacked();
  for (let i = 0; i < pending.length; i += 20) {
    await postUntilAnswered(opts, opts.ledger, pending.slice(i, i + 20), opts.giveUpAt);
  }
  return pending.length;
}

/** Seeded events for a scenario: recipients `{prefix}-r{n}`, retractions, shuffled. */
export function scenarioEvents(seed: number, count: number, recipients: number, prefix: string, random: () => number): TrackerEvent[] {
  return shuffle(randomEvents({ seed, count, recipients, retractionShare: 0.06, prefix }), random);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
