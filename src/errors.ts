/**
 * The project's one error hierarchy. Every error a client may see is a `TrackerError`; the app's
 * single `onError` turns it into `application/problem+json` (RFC 9457). Adapters translate AWS
 * errors into these, so nothing above them knows about SDK exception names.
 */
import type { FieldError } from './domain/event-schema.ts';

export class TrackerError extends Error {
  constructor(
    readonly status: number,
    /** Last segment of the problem `type` URI: `/problems/{slug}`. */
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export class ValidationError extends TrackerError {
  constructor(detail: string, readonly errors: FieldError[] = []) {
    super(400, 'validation', 'Invalid request', detail, errors.length ? { errors } : {});
  }
}

export class NotFoundError extends TrackerError {
  constructor(detail: string) {
    super(404, 'not-found', 'Not found', detail);
  }
}

export class PayloadTooLargeError extends TrackerError {
  constructor(limitBytes: number) {
    super(413, 'payload-too-large', 'Payload too large', `The body must be at most ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends TrackerError {
  constructor(detail: string) {
    super(415, 'unsupported-media-type', 'Unsupported media type', detail);
  }
}

/** A dependency (DynamoDB, SQS) is throttled or unavailable: safe to retry the request as is. */
export class ServiceUnavailableError extends TrackerError {
  constructor(detail: string, retryAfterSeconds = 1) {
    super(503, 'service-unavailable', 'Service unavailable', detail, {}, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** Optimistic concurrency lost a race (a head or watermark moved): the caller re-reads and retries. */
export class ConcurrentUpdateError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'ConcurrentUpdateError';
  }
}

export class UnauthorizedError extends TrackerError {
  constructor(detail: string) {
    super(401, 'unauthorized', 'Unauthorized', detail, {}, { 'WWW-Authenticate': 'Bearer realm="gpu-policy-tracker"' });
  }
}

export class ForbiddenError extends TrackerError {
  constructor(detail: string, errors: FieldError[] = []) {
    super(403, 'forbidden', 'Forbidden', detail, errors.length ? { errors } : {});
  }
}

export class RateLimitedError extends TrackerError {
  constructor(retryAfterSeconds: number) {
    super(429, 'rate-limited', 'Too many requests', `This key's rate limit is reached; retry after ${retryAfterSeconds} s.`, {}, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

/** A webhook URL that may not be called (not https, or resolving to a non-public address): SSRF guard. */
export class WebhookUrlRefusedError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'WebhookUrlRefusedError';
  }
}
