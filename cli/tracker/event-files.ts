/**
 * Reads events from the files an agency has: JSON (one CloudEvent or an array), NDJSON (one per
 * line) or CSV (one event per row, columns mapped as `CSV_HELP` says). Every row is validated with
 * the API's own schema before anything is sent, so a bad row is reported with its row number and
 * the others still go.
 *
 * CSV columns are derived from the event schemas: a column per envelope attribute and per `data`
 * field of the type; integer fields are read as numbers, list fields split on `;`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import * as z from 'zod';
import { canonicalJson } from '../../src/domain/canonical.ts';
import { EVENT_TYPES, type EventType, type TrackerEvent, dataSchemas, subjectKindOf, validateEvent } from '../../src/domain/event-schema.ts';
import { parseCsv } from './csv.ts';

export interface EventRow {
  file: string;
  /** Where the row is, as a person finds it: `line 7`, `item 3`. */
  row: string;
  event?: TrackerEvent;
  /** Why the row cannot be posted. */
  errors?: string[];
}

export interface ReadOptions {
  /** CSV: the type of every row when there is no `type` column. */
  type?: string;
  /** CSV: the source of every row when there is no `source` column. */
  source?: string;
  /** CSV: UTC offset given to a bare date in `time` (`2025-11-20` → `2025-11-20T00:00:00+09:00`). */
  offset: string;
}

type FieldKind = 'integer' | 'list' | 'text';

/** `data` fields of each type and how a CSV cell becomes their value, from the zod schemas. */
export const DATA_FIELDS: Record<EventType, Record<string, { kind: FieldKind; required: boolean }>> = Object.fromEntries(
  EVENT_TYPES.map((type) => {
    const json = z.toJSONSchema(dataSchemas[type], { io: 'input' }) as { properties: Record<string, { type?: string }>; required?: string[] };
    const fields = Object.fromEntries(
      Object.entries(json.properties).map(([name, p]) => [
        name,
        { kind: (p.type === 'integer' ? 'integer' : p.type === 'array' ? 'list' : 'text') as FieldKind, required: json.required?.includes(name) ?? false },
      ]),
    );
    return [type, fields];
  }),
) as Record<EventType, Record<string, { kind: FieldKind; required: boolean }>>;

const ENVELOPE_COLUMNS = ['type', 'id', 'source', 'subject', 'recipient', 'mou', 'time', 'datacontenttype', 'dataschema'];

export const CSV_HELP = `CSV files: a header row, then one event per row. Columns:
  type        the event type (or --type for the whole file)
  source      who reports it, e.g. /agencies/msit (or --source for the whole file)
  recipient   the recipient id (subject recipients/{id}); or mou for mous/{id}; or subject in full
  time        when it happened: RFC 3339 with offset (2025-11-20T10:00:00+09:00), or a date
              (2025-11-20, midnight at --offset, default +09:00)
  id          the event id; when absent, derived from the row's content, so re-posting the same
              row is a duplicate, never a second event
  and the data fields of the type (empty cells are left out; lists split on ';'):
${EVENT_TYPES.map((t) => `  ${t.padEnd(22)}${Object.entries(DATA_FIELDS[t]).map(([f, d]) => `${f}${d.required ? '' : '?'}${d.kind === 'list' ? '[;]' : ''}`).join(', ')}`).join('\n')}
  (? optional). Example, delivery.shipped:
    id,source,recipient,time,shipmentId,quantity,orderId,gpuModel,site
    sam-ship-1,/companies/samsung,samsung,2026-01-15,sam-ship-1,2000,sam-po-1,NVIDIA B200,Pyeongtaek`;

export function readEventFile(path: string, options: ReadOptions): EventRow[] {
  const text = readFileSync(path, 'utf8');
  const file = basename(path);
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return fromCsv(file, text, options);
  if (ext === '.ndjson' || ext === '.jsonl') return fromNdjson(file, text);
  if (ext === '.json') return fromJson(file, text);
  throw new Error(`${file}: unknown file type ${ext || '(none)'}; use .json, .ndjson/.jsonl or .csv`);
}

function checked(file: string, row: string, input: unknown): EventRow {
  const result = validateEvent(input, 0);
  if (result.ok) return { file, row, event: result.event };
  return { file, row, errors: result.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)) };
}

function fromJson(file: string, text: string): EventRow[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(json)) return [checked(file, 'item 1', json)];
  return json.map((item, i) => checked(file, `item ${i + 1}`, item));
}

function fromNdjson(file: string, text: string): EventRow[] {
  const rows: EventRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push(checked(file, `line ${i + 1}`, JSON.parse(line)));
    } catch (error) {
      rows.push({ file, row: `line ${i + 1}`, errors: [`not valid JSON (${(error as Error).message})`] });
    }
  });
  return rows;
}

function fromCsv(file: string, text: string, options: ReadOptions): EventRow[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const [header, ...body] = records;
  if (!header) return [];
  const columns = header.cells.map((c) => c.trim());
  const known = new Set([...ENVELOPE_COLUMNS, ...EVENT_TYPES.flatMap((t) => Object.keys(DATA_FIELDS[t]))]);
  const unknown = columns.filter((c) => !known.has(c));
  if (unknown.length) throw new Error(`${file}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `'${c}'`).join(', ')} (tracker post --help lists the columns)`);
  if (!columns.includes('type') && !options.type) throw new Error(`${file}: no 'type' column; add one or pass --type`);
  if (!columns.includes('source') && !options.source) throw new Error(`${file}: no 'source' column; add one or pass --source`);
  return body.map((record) => {
    const row = `line ${record.line}`;
    const cells = Object.fromEntries(columns.map((c, i) => [c, (record.cells[i] ?? '').trim()]));
    const { event, errors } = csvEvent(cells, options);
    if (errors.length) return { file, row, errors };
    return checked(file, row, event);
  });
}

function csvEvent(cells: Record<string, string>, options: ReadOptions): { event?: Record<string, unknown>; errors: string[] } {
  const errors: string[] = [];
  const type = (cells.type || options.type || '') as EventType;
  if (!EVENT_TYPES.includes(type)) return { errors: [`type: '${type}' is not an event type (${EVENT_TYPES.join(', ')})`] };
  const fields = DATA_FIELDS[type];
  const data: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(cells)) {
    if (value === '' || ENVELOPE_COLUMNS.includes(column)) continue;
    const field = fields[column];
    if (!field) {
      errors.push(`${column}: not a field of ${type}`);
      continue;
    }
    if (field.kind === 'integer') {
      const digits = value.replace(/[,_\s]/g, '');
      if (!/^-?\d+$/.test(digits)) errors.push(`${column}: '${value}' is not a whole number`);
      else data[column] = Number(digits);
    } else if (field.kind === 'list') data[column] = value.split(';').map((v) => v.trim()).filter(Boolean);
    else data[column] = value;
  }
  const kind = subjectKindOf[type];
  const subject = cells.subject || (cells.recipient ? `recipients/${cells.recipient}` : cells.mou ? `mous/${cells.mou}` : '');
  if (!subject) errors.push(`subject: give a ${kind === 'mous' ? 'mou' : 'recipient'} (or subject) column value`);
  const time = /^\d{4}-\d{2}-\d{2}$/.test(cells.time ?? '') ? `${cells.time}T00:00:00${options.offset}` : cells.time;
  const event: Record<string, unknown> = {
    specversion: '1.0',
    source: cells.source || options.source,
    type,
    subject,
    time,
    data,
    ...(cells.datacontenttype ? { datacontenttype: cells.datacontenttype } : {}),
    ...(cells.dataschema ? { dataschema: cells.dataschema } : {}),
  };
  // Without an id, the row's content names it: the same row posted again is a duplicate.
  event.id = cells.id || `row-${createHash('sha256').update(canonicalJson([event.source, type, subject, time, data])).digest('base64url').slice(0, 32)}`;
  return { event, errors };
}
