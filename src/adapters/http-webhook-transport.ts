/**
 * Sends a webhook POST with Node's `http`/`https`, connecting only to the address the URL guard
 * checked (the request's `lookup` answers with it: no second DNS resolution, no rebinding), with the
 * URL's host kept for `Host` and TLS (SNI, certificate check). Redirects are never followed: a 3xx is
 * returned like any other status and counts as a failure. The response body is read and discarded
 * (at most 64 KiB), so the connection is released.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { WebhookResponse, WebhookTarget, WebhookTransport } from '../ports.ts';

const MAX_RESPONSE_BYTES = 64 * 1024;

export function createHttpWebhookTransport(userAgent = 'gpu-policy-tracker-webhooks/1'): WebhookTransport {
  return {
    post(target, headers, body, timeoutMs) {
      return new Promise<WebhookResponse>((resolve, reject) => {
        const pinned: LookupFunction = (_host, options, callback) => {
          if ((options as { all?: boolean }).all) {
            (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
              { address: target.address, family: target.family },
            ]);
          } else {
            callback(null, target.address, target.family);
          }
        };
        const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
        const req = send(
          target.url,
          {
            method: 'POST',
            lookup: pinned,
            headers: {
              ...headers,
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(body)),
              'user-agent': userAgent,
            },
            signal: AbortSignal.timeout(timeoutMs),
            agent: false,
          },
          (res) => {
            let read = 0;
            res.on('data', (chunk: Buffer) => {
              read += chunk.length;
              if (read > MAX_RESPONSE_BYTES) res.destroy();
            });
            const done = () => {
              const retryAfter = res.headers['retry-after'];
              resolve({ statusCode: res.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
            };
            res.on('end', done);
            res.on('close', done);
            res.on('error', done);
          },
        );
        req.on('error', (error: Error & { code?: string }) => {
          reject(error.name === 'AbortError' ? new Error(`timed out after ${timeoutMs} ms`) : error);
        });
        req.end(body);
      });
    },
  };
}
