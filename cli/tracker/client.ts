/**
 * The tracker's HTTP API as the CLI calls it: bearer key, JSON in and out, and retries with
 * exponential backoff and jitter on 429, 5xx and network errors, honouring `Retry-After`. Only
 * requests that are safe to repeat are retried after a 5xx or a network error (reads, deletes and
 * `POST /v1/events`, which is idempotent on `(source, id)`); a 429 means nothing was done, so
 * every request is retried after one.
 */

export interface ClientOptions {
  url: string;
  key?: string;
  /** Attempts after the first. */
  retries: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told before each wait, for a note on stderr. */
  onRetry?: (why: string, waitMs: number, attempt: number) => void;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { index: number; path: string; message: string }[];
}

/** The tracker answered with an error status (after retries, for retryable ones). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(`${status} ${problem.title ?? ''}${problem.detail ? `: ${problem.detail}` : ''}`.trim());
    this.name = 'ApiError';
  }
}

/** The tracker could not be reached, or kept failing (5xx, 429) through every retry. */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Safe to send again after a 5xx or a lost connection. */
  idempotent?: boolean;
  /** Answers with these statuses are returned rather than thrown (e.g. 409 with results). */
  accept?: number[];
}

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

const MAX_WAIT_MS = 60_000;

export function backoffMs(attempt: number, random: () => number, retryAfter?: string | null): number {
  const asked = retryAfter && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : undefined;
  const exponential = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + random());
  return Math.min(MAX_WAIT_MS, Math.max(asked ?? 0, asked === undefined ? exponential : 0));
}

export function createClient(options: ClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;

  async function request<T = unknown>(method: string, path: string, req: RequestOptions = {}): Promise<Answer<T>> {
    const idempotent = req.idempotent ?? (method === 'GET' || method === 'DELETE');
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...req.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);

    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      } catch (error) {
        const why = `cannot reach ${base} (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`;
        if (!idempotent || attempt >= options.retries) throw new UnavailableError(why);
        const wait = backoffMs(attempt, random);
        options.onRetry?.(why, wait, attempt + 1);
        await sleep(wait);
        continue;
      }
      const retryable = res.status === 429 || (res.status >= 500 && idempotent);
      if (retryable && attempt < options.retries) {
        await res.body?.cancel();
        const wait = backoffMs(attempt, random, res.headers.get('retry-after'));
        options.onRetry?.(`${res.status} from ${method} ${path}`, wait, attempt + 1);
        await sleep(wait);
        continue;
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: kept as text */
      }
      if (res.ok || req.accept?.includes(res.status)) return { status: res.status, body: parsed as T, headers: res.headers };
      if (res.status === 429 || res.status >= 500) {
        throw new UnavailableError(`${method} ${path} failed with ${res.status} after ${attempt + 1} attempts${problemDetail(parsed)}`);
      }
      throw new ApiError(res.status, typeof parsed === 'object' && parsed ? (parsed as Problem) : { detail: String(parsed ?? '') });
    }
  }

  return { url: base, request, hasKey: Boolean(options.key) };
}

function problemDetail(body: unknown): string {
  const detail = (body as Problem | undefined)?.detail;
  return typeof detail === 'string' ? `: ${detail}` : '';
}

export type Client = ReturnType<typeof createClient>;
