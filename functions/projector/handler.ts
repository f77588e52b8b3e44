/** Lambda entry of the projector: SQS batches → per-subject projection, with metrics. Wiring only. */
import { loadConfig } from '../../src/config.ts';
import { createProjectorHandler } from '../../src/consumers/projector-handler.ts';
import { createTracker } from '../../src/runtime.ts';
import { count, createMetrics, publishingMetrics } from '../../src/telemetry.ts';

const tracker = createTracker(loadConfig());
const metrics = createMetrics();

export const handler = publishingMetrics(
  metrics,
  createProjectorHandler(async (subject) => {
    const run = await tracker.project(subject);
    count(metrics, 'EventsProjected', run.applied);
    return run;
  }),
);
