/**
 * Lambda entry of `GET /v1/stream` on AWS: the same Hono API behind a Function URL with response
 * streaming (API Gateway HTTP APIs buffer responses, so Server-Sent Events need this path). Each
 * response lasts `STREAM_MAX_SECONDS`; EventSource clients reconnect with `Last-Event-ID`. The
 * pages (dashboard, docs) are served by the api function only, so this bundle leaves them out.
 * Wiring only.
 */
import { streamHandle } from 'hono/aws-lambda';
import { createApiApp } from '../../src/api-runtime.ts';
import { createApiRoutes } from '../../src/app/app.ts';

export const handler = streamHandle(createApiApp(createApiRoutes));
