/**
 * The feed (CONTRACT §4): every accepted event in acceptance order (`recordedAt`, then subject and
 * sequence), with an opaque cursor that never skips an event that commits later.
 *
 * `recordedAt` is stamped just before the append transaction, so a slow commit could land behind a
 * reader who already passed its time. The feed therefore serves only events older than a settled
 * horizon (`settleSeconds`, 5 s by default): any commit that takes longer than that is logged as an
 * error by ingest (see `onSlowCommit`). Events are read from the `feed` index, one partition per hour.
 */
import type { StoredEvent } from '../domain/event-schema.ts';
import { type Instant, instantOf } from '../domain/time.ts';
import type { Clock, EventLog } from '../ports.ts';

/** Where a reader is: an hour bucket and the last key read in it ('' = its start). */
export interface FeedPosition {
  bucket: string;
  key: string;
}

export interface FeedItem {
  event: StoredEvent;
  /** The position just after this event: its cursor. */
  position: FeedPosition;
}

const MAX_EMPTY_BUCKETS = 24 * 7;
const bucketOf = (instant: Instant) => instant.slice(0, 13);
const nextBucket = (bucket: string) => new Date(Date.parse(`${bucket}:00:00Z`) + 3_600_000).toISOString().slice(0, 13);

export interface FeedDeps {
  log: EventLog;
  clock: Clock;
  settleSeconds: number;
}

export function createFeed(deps: FeedDeps) {
  const settled = (): Instant => instantOf(new Date(deps.clock.now().getTime() - deps.settleSeconds * 1000));
  let first: Instant | undefined;

  return {
    /** The position after everything settled now: where a live tail starts. */
    tail(): FeedPosition {
      const horizon = settled();
      return { bucket: bucketOf(horizon), key: horizon };
    },

    /** Up to `limit` events after `from` (the beginning when absent), and the position to go on from. */
    async page(from: FeedPosition | undefined, limit: number): Promise<{ items: FeedItem[]; next: FeedPosition }> {
      const horizon = settled();
      const last = bucketOf(horizon);
      first ??= await deps.log.firstRecordedAt();
      let position = from ?? { bucket: first ? bucketOf(first) : last, key: '' };
      const items: FeedItem[] = [];
      for (let scanned = 0; ; scanned++) {
        const page = await deps.log.feedBucket(position.bucket, position.key, horizon, limit - items.length);
        for (const { key, event } of page) {
          position = { bucket: position.bucket, key };
          items.push({ event, position });
        }
        // Short of the limit means this bucket is read up to the horizon: go on with the next hour.
        if (items.length >= limit || position.bucket >= last || scanned >= MAX_EMPTY_BUCKETS) return { items, next: position };
        position = { bucket: nextBucket(position.bucket), key: '' };
      }
    },
  };
}

export type Feed = ReturnType<typeof createFeed>;
