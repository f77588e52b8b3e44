/**
 * The single place that turns errors into `application/problem+json` (RFC 9457). Unknown errors
 * become a 500 whose detail reveals nothing internal; they are logged by the caller's logger.
 */
import type { Context } from 'hono';
import { TrackerError } from '../errors.ts';

export const PROBLEM_TYPE_BASE = '/problems/';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export function problemOf(error: unknown): { body: ProblemBody; headers: Record<string, string> } {
  if (error instanceof TrackerError) {
    return {
      body: { type: `${PROBLEM_TYPE_BASE}${error.slug}`, title: error.title, status: error.status, detail: error.message, ...error.extra },
      headers: error.headers,
    };
  }
  return {
    body: { type: `${PROBLEM_TYPE_BASE}internal`, title: 'Internal error', status: 500, detail: 'The tracker failed to answer; the request may be retried as is.' },
    headers: {},
  };
}

export function problemResponse(c: Context, error: unknown): Response {
  const { body, headers } = problemOf(error);
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}
