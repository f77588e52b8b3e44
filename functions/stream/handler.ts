/**
 * Lambda entry of `GET /v1/stream` on AWS: the same Hono app behind a Function URL with response
 * streaming (API Gateway HTTP APIs buffer responses, so Server-Sent Events need this path). Each
 * response lasts `STREAM_MAX_SECONDS`; EventSource clients reconnect with `Last-Event-ID`. Wiring only.
 */
import { streamHandle } from 'hono/aws-lambda';
import { createApiApp } from '../../src/api-runtime.ts';

export const handler = streamHandle(createApiApp());
