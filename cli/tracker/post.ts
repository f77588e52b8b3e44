/**
 * `tracker post`: sends the valid rows in batches (at most 100 events and 200 KiB a request) and
 * accounts for every row: accepted, duplicate, conflict or rejected with its reasons.
 *
 * The API stores nothing from a request with an invalid (400) or refused (403) event; the errors
 * name each bad event's index, so those rows are marked rejected and the rest of the batch is sent
 * again. A 413 splits the batch. Ingest is idempotent on `(source, id)`, so retries (done by the
 * client) and re-runs of the same file never count an event twice.
 */
import type { TrackerEvent } from '../../src/domain/event-schema.ts';
import { ApiError, type Client, type Problem } from './client.ts';
import type { EventRow } from './event-files.ts';

export type RowStatus = 'accepted' | 'duplicate' | 'conflict' | 'rejected';

export interface RowResult {
  file: string;
  row: string;
  source?: string;
  id?: string;
  status: RowStatus;
  sequence?: number;
  reasons?: string[];
}

export interface PostSummary {
  accepted: number;
  duplicate: number;
  conflict: number;
  rejected: number;
  results: RowResult[];
}

export const MAX_BATCH = 100;
const MAX_BATCH_BYTES = 200 * 1024;

interface IngestAnswer {
  results: { source: string; id: string; status: 'accepted' | 'duplicate' | 'conflict'; sequence: number }[];
}

type Pending = { index: number; row: EventRow & { event: TrackerEvent } };

export async function postRows(
  client: Client,
  rows: readonly EventRow[],
  options: { batchSize: number; onProgress?: (done: number, total: number) => void },
): Promise<PostSummary> {
  const results: RowResult[] = rows.map((r) => ({
    file: r.file,
    row: r.row,
    ...(r.event ? { source: r.event.source, id: r.event.id } : {}),
    status: 'rejected',
    ...(r.errors ? { reasons: r.errors } : {}),
  }));
  const valid: Pending[] = rows.flatMap((row, index) => (row.event ? [{ index, row: row as Pending['row'] }] : []));
  let done = rows.length - valid.length;
  options.onProgress?.(done, rows.length);

  const settle = (items: Pending[]) => {
    done += items.length;
    options.onProgress?.(done, rows.length);
  };

  async function send(batch: Pending[]): Promise<void> {
    if (batch.length === 0) return;
    let answer;
    try {
      answer = await client.request<IngestAnswer>('POST', '/v1/events', {
        body: JSON.stringify(batch.map((p) => p.row.event)),
        contentType: 'application/cloudevents-batch+json',
        idempotent: true,
        accept: [409],
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 413 && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await send(batch.slice(0, half));
        await send(batch.slice(half));
        return;
      }
      if ((error.status === 400 || error.status === 403) && error.problem.errors?.length) {
        const bad = new Map<number, string[]>();
        for (const e of error.problem.errors) {
          if (!batch[e.index]) continue;
          bad.set(e.index, [...(bad.get(e.index) ?? []), e.path ? `${e.path}: ${e.message}` : e.message]);
        }
        if (bad.size > 0) {
          const refused = batch.filter((_, i) => bad.has(i));
          for (const [i, reasons] of bad) results[batch[i]!.index]!.reasons = [`${error.status === 403 ? 'refused' : 'invalid'}: ${reasons.join('; ')}`];
          settle(refused);
          await send(batch.filter((_, i) => !bad.has(i)));
          return;
        }
      }
      if (error.status === 401) throw error;
      // A refusal that names no event concerns the whole request.
      for (const p of batch) results[p.index]!.reasons = [describe(error.status, error.problem)];
      settle(batch);
      return;
    }
    answer.body.results.forEach((r, i) => {
      const target = results[batch[i]!.index]!;
      target.status = r.status;
      target.sequence = r.sequence;
      if (r.status === 'conflict') target.reasons = [`conflict: ${r.source} ${r.id} was posted before with different content`];
    });
    settle(batch);
  }

  for (const batch of batches(valid, Math.min(options.batchSize, MAX_BATCH))) await send(batch);

  const count = (s: RowStatus) => results.filter((r) => r.status === s).length;
  return { accepted: count('accepted'), duplicate: count('duplicate'), conflict: count('conflict'), rejected: count('rejected'), results };
}

function* batches(items: Pending[], size: number): Generator<Pending[]> {
  let batch: Pending[] = [];
  let bytes = 2;
  for (const item of items) {
    const length = Buffer.byteLength(JSON.stringify(item.row.event)) + 1;
    if (batch.length > 0 && (batch.length >= size || bytes + length > MAX_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 2;
    }
    batch.push(item);
    bytes += length;
  }
  if (batch.length > 0) yield batch;
}

function describe(status: number, problem: Problem): string {
  return `${status} ${problem.title ?? ''}${problem.detail ? `: ${problem.detail}` : ''}`.trim();
}
