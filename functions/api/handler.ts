/** Lambda entry of the HTTP API: the Hono app behind API Gateway. Wiring only. */
import { handle } from 'hono/aws-lambda';
import { createApiApp } from '../../src/api-runtime.ts';

export const handler = handle(createApiApp());
