/**
 * `GET /v1/feed` and `GET /v1/stream` (CONTRACT §4): the feed as pages with an opaque cursor, and the
 * same feed as Server-Sent Events whose `id:` is the cursor, resumable with `Last-Event-ID`.
 * Without a cursor the feed starts at the first event and the stream at the live tail.
 */
import type { Env, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Feed, FeedPosition } from '../services/feed.ts';
import { FeedCursor, encodeFeedCursor, parseQuery, querySchemas } from './query-params.ts';
import { ValidationError } from '../errors.ts';

const HEARTBEAT_MS = 15_000;
const POLL_MS = 1_000;

export interface FeedRouteDeps {
  feed: Feed;
  /** Seconds one stream response lasts (Lambda response streaming caps it); 0: until the client leaves. */
  streamMaxSeconds?: number;
}

export function mountFeedRoutes<E extends Env>(app: Hono<E>, deps: FeedRouteDeps): void {
  app.get('/v1/feed', async (c) => {
    const q = parseQuery(querySchemas.feed, c.req.query());
    const { items, next } = await deps.feed.page(q.after, q.limit);
    return c.json({ items: items.map((i) => i.event), next: encodeFeedCursor(next) });
  });

  app.get('/v1/stream', async (c) => {
    const q = parseQuery(querySchemas.stream, c.req.query());
    const lastEventId = c.req.header('last-event-id');
    let position: FeedPosition = q.after ?? (lastEventId ? lastEventIdPosition(lastEventId) : deps.feed.tail());
    const deadline = deps.streamMaxSeconds ? Date.now() + deps.streamMaxSeconds * 1000 : Infinity;

    return streamSSE(c, async (stream) => {
      await stream.writeSSE({ data: JSON.stringify({ connected: true }), event: 'ready', id: encodeFeedCursor(position), retry: 3000 });
      let quietSince = Date.now();
      while (!stream.aborted && !stream.closed && Date.now() < deadline) {
        const { items, next } = await deps.feed.page(position, 100);
        for (const item of items) {
          await stream.writeSSE({ id: encodeFeedCursor(item.position), data: JSON.stringify(item.event) });
        }
        position = next;
        if (items.length > 0) {
          quietSince = Date.now();
          continue;
        }
        if (Date.now() - quietSince >= HEARTBEAT_MS) {
          await stream.write(': heartbeat\n\n');
          quietSince = Date.now();
        }
        await stream.sleep(POLL_MS);
      }
    });
  });
}

function lastEventIdPosition(header: string): FeedPosition {
  const parsed = FeedCursor.safeParse(header);
  if (!parsed.success) throw new ValidationError('Last-Event-ID is not a cursor this API returned.', [{ index: 0, path: 'Last-Event-ID', message: 'invalid cursor' }]);
  return parsed.data;
}
