/** Lambda entry of the projector: SQS batches → per-subject projection. Wiring only. */
import { loadConfig } from '../../src/config.ts';
import { createProjectorHandler } from '../../src/consumers/projector-handler.ts';
import { createTracker } from '../../src/runtime.ts';

const tracker = createTracker(loadConfig());

export const handler = createProjectorHandler(tracker.project);
