/**
 * `tracker tail`: follows `GET /v1/stream` (Server-Sent Events) and prints each accepted event as
 * it comes. When the connection ends (a deployment caps a stream's length) or drops, it reconnects
 * with `Last-Event-ID`, so nothing is skipped or printed twice.
 */
import { matchesPattern } from '../../src/domain/access.ts';
import type { StoredEvent } from '../../src/domain/event-schema.ts';
import { backoffMs } from './client.ts';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** Splits a Server-Sent Events body into messages (comments and retry hints dropped). */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let message: SseMessage = { data: '' };
  let hasData = false;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (hasData) yield message;
        message = { data: '' };
        hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') {
        message.data = hasData ? `${message.data}\n${value}` : value;
        hasData = true;
      } else if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
    }
  }
}

export interface TailOptions {
  url: string;
  key?: string;
  after?: string;
  types: string[];
  recipients: string[];
  /** Stop after this many events (scripts, tests). */
  limit?: number;
  json: boolean;
  out: (line: string) => void;
  note: (line: string) => void;
  signal: AbortSignal;
}

export function eventLine(e: StoredEvent): string {
  const d = e.data as Record<string, unknown>;
  const detail = ['gpus', 'quantity', 'name', 'title', 'eventId'].filter((k) => d[k] !== undefined).map((k) => `${k}=${String(d[k])}`).join(' ');
  return `${e.recordedAt}  ${e.type.padEnd(20)}  ${e.subject.padEnd(28)}  ${e.source} ${e.id}${detail ? `  ${detail}` : ''}`;
}

/** Runs until `limit` events were printed or the signal aborts; returns how many were printed. */
export async function tail(options: TailOptions): Promise<number> {
  let cursor = options.after;
  let printed = 0;
  let failures = 0;
  const wanted = (e: StoredEvent) =>
    (options.types.length === 0 || options.types.some((p) => matchesPattern(p, e.type))) &&
    (options.recipients.length === 0 || options.recipients.some((r) => e.subject === `recipients/${r}`));

  while (!options.signal.aborted) {
    try {
      const res = await fetch(`${options.url}/v1/stream${cursor ? `?after=${encodeURIComponent(cursor)}` : ''}`, {
        headers: { accept: 'text/event-stream', ...(options.key ? { authorization: `Bearer ${options.key}` } : {}) },
        signal: options.signal,
      });
      if (!res.ok || !res.body) {
        const text = await res.text();
        if (res.status < 500 && res.status !== 429) throw Object.assign(new Error(`${res.status}: ${text.slice(0, 300)}`), { fatal: true });
        throw new Error(`${res.status} from the stream`);
      }
      failures = 0;
      for await (const message of sseMessages(res.body)) {
        if (message.id) cursor = message.id;
        if (message.event === 'ready') continue;
        const event = JSON.parse(message.data) as StoredEvent;
        if (!wanted(event)) continue;
        options.out(options.json ? JSON.stringify(event) : eventLine(event));
        if (options.limit !== undefined && ++printed >= options.limit) return printed;
      }
    } catch (error) {
      if (options.signal.aborted) break;
      if ((error as { fatal?: boolean }).fatal) throw error;
      const wait = backoffMs(failures++, Math.random);
      options.note(`stream interrupted (${(error as Error).message}); reconnecting in ${Math.round(wait / 100) / 10} s`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  return printed;
}
