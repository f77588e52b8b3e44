/**
 * Translates AWS SDK errors into the project's own: throttling and service faults become
 * `ServiceUnavailableError` (503, safe to retry), lost optimistic races `ConcurrentUpdateError`.
 */
import { ConcurrentUpdateError, ServiceUnavailableError } from '../errors.ts';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** Network failures the SDK gave up retrying (the endpoint is unreachable or dropped the connection): transient. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

interface AwsLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  CancellationReasons?: { Code?: string }[];
}

/** Maps an error from a DynamoDB or SQS call; unknown errors are returned unchanged. */
export function translateAwsError(error: unknown, what: string): unknown {
  const e = error as AwsLikeError;
  if (e?.name === 'ConditionalCheckFailedException') return new ConcurrentUpdateError(`${what}: condition failed`);
  if (e?.name === 'TransactionCanceledException') {
    const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    if (codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) {
      return new ConcurrentUpdateError(`${what}: ${codes.join(',')}`);
    }
    if (codes.some((c) => THROTTLING.has(c) || c === 'ThrottlingError')) {
      return new ServiceUnavailableError(`${what} was throttled; retry the request as is.`);
    }
  }
  if (e?.name === 'TransactionConflictException') return new ConcurrentUpdateError(`${what}: transaction conflict`);
  if ((e?.name && THROTTLING.has(e.name)) || (e?.$metadata?.httpStatusCode ?? 0) >= 500 || (e?.code && NETWORK.has(e.code))) {
    return new ServiceUnavailableError(`${what} is unavailable right now; retry the request as is.`);
  }
  return error;
}

/** Runs an AWS call, translating its errors. */
export async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(error, what);
  }
}
