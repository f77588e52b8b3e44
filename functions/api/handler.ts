/** Lambda entry of the HTTP API: the Hono app behind API Gateway, with metrics. Wiring only. */
import { handle } from 'hono/aws-lambda';
import { createApiApp } from '../../src/api-runtime.ts';
import { createApp } from '../../src/app/app.ts';
import { createMetrics, publishingMetrics } from '../../src/telemetry.ts';

const metrics = createMetrics();

export const handler = publishingMetrics(metrics, handle(createApiApp(createApp, metrics)));
