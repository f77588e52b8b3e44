/**
 * Read side (CONTRACT §4). Live reads come from the projection; reads with `asOf` or `knownAt`
 * fold the log itself with the same pure fold, so anyone can reproduce what the tracker said then.
 */
import type { EventType, StoredEvent } from '../domain/event-schema.ts';
import {
  type FoldFilter,
  type MouEntry,
  type RecipientStatus,
  type SubjectState,
  foldEvents,
  mouView,
  recipientView,
} from '../domain/status.ts';
import { type ProgramTotals, type Summary, mousWithParty, programTotals, summarize } from '../domain/totals.ts';
import { NotFoundError } from '../errors.ts';
import type { EventLog, ProjectionStore } from '../ports.ts';
import { readSubjectLog } from './read-log.ts';

const LOG_PAGE = 1000;

export interface QueryDeps {
  log: EventLog;
  store: ProjectionStore;
}

export interface HistoryPage {
  items: StoredEvent[];
  /** Sequence to continue after, or null at the end of the log. */
  next: number | null;
}

const isTimeTravel = (f: FoldFilter) => f.asOf !== undefined || f.knownAt !== undefined;

export function createQueries(deps: QueryDeps) {
  const readAll = (subject: string) => readSubjectLog(deps.log, subject, { page: LOG_PAGE });

  /** States of every subject of a kind: live from the projection, or folded from the log. */
  async function states(kind: 'recipients' | 'mous', filter: FoldFilter): Promise<SubjectState[]> {
    if (!isTimeTravel(filter)) return deps.store.list(kind);
    const subjects = (await deps.log.subjects()).filter((s) => s.startsWith(`${kind}/`));
    const folded = await Promise.all(subjects.map(async (s) => foldEvents(s, await readAll(s), filter).state));
    return folded.filter((s) => s.appliedSeq > 0);
  }

  async function state(subject: string, filter: FoldFilter): Promise<SubjectState | undefined> {
    if (!isTimeTravel(filter)) return deps.store.load(subject);
    // Unknown then (nothing counted by the filter) is unknown, as in the list routes.
    const folded = foldEvents(subject, await readAll(subject), filter).state;
    return folded.appliedSeq > 0 ? folded : undefined;
  }

  async function recipients(filter: FoldFilter): Promise<RecipientStatus[]> {
    return (await states('recipients', filter))
      .map(recipientView)
      .sort((a, b) => (a.recipientId < b.recipientId ? -1 : 1));
  }

  async function mous(filter: FoldFilter): Promise<MouEntry[]> {
    return (await states('mous', filter))
      .flatMap((s) => mouView(s) ?? [])
      .sort((a, b) => (a.mouId < b.mouId ? -1 : 1));
  }

  return {
    recipients,

    async recipient(id: string, filter: FoldFilter): Promise<RecipientStatus> {
      const found = await state(`recipients/${id}`, filter);
      if (!found) throw new NotFoundError(`No recipient '${id}' is known to the tracker.`);
      return recipientView(found);
    },

    async history(id: string, options: { after: number; limit: number; type?: EventType }): Promise<HistoryPage> {
      const subject = `recipients/${id}`;
      const items: StoredEvent[] = [];
      let after = options.after;
      for (;;) {
        const want = options.type ? Math.max(options.limit * 2, 100) : options.limit;
        const page = await deps.log.read(subject, { after, limit: want });
        for (const event of page) {
          after = event.sequence;
          if (!options.type || event.type === options.type) items.push(event);
          if (items.length === options.limit) return { items, next: after };
        }
        if (page.length < want) return { items, next: null };
      }
    },

    async summary(filter: FoldFilter): Promise<Summary> {
      return summarize(await recipients(filter));
    },

    async program(programId: string, filter: FoldFilter): Promise<ProgramTotals> {
      const totals = programTotals(programId, await recipients(filter));
      if (!totals) throw new NotFoundError(`No allocation under program '${programId}' is known to the tracker.`);
      return totals;
    },

    async mous(party: string | undefined, filter: FoldFilter): Promise<MouEntry[]> {
      return mousWithParty(await mous(filter), party);
    },

    async mou(id: string, filter: FoldFilter): Promise<MouEntry> {
      const found = await state(`mous/${id}`, filter);
      const entry = found && mouView(found);
      if (!entry) throw new NotFoundError(`No MoU '${id}' is known to the tracker.`);
      return entry;
    },
  };
}

export type Queries = ReturnType<typeof createQueries>;
