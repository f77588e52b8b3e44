/** Reading a subject's whole log (or its first `upTo` events) page by page: what every fold of a full history starts with. */
import type { StoredEvent } from '../domain/event-schema.ts';
import type { EventLog } from '../ports.ts';

export async function readSubjectLog(log: EventLog, subject: string, options: { upTo?: number; page?: number } = {}): Promise<StoredEvent[]> {
  const upTo = options.upTo ?? Infinity;
  const pageSize = options.page ?? 500;
  const out: StoredEvent[] = [];
  for (;;) {
    const limit = Math.min(pageSize, upTo - out.length);
    if (limit <= 0) return out;
    const page = await log.read(subject, { after: out.length, limit });
    out.push(...page);
    if (page.length < limit) return out;
  }
}
