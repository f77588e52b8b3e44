/** The projector's SQS handler: each subject named in a batch is projected once (see subject-batch-handler). */
import type { Projector } from '../services/projector.ts';
import { createSubjectBatchHandler } from './subject-batch-handler.ts';

export const createProjectorHandler = (project: Projector) => createSubjectBatchHandler(project);
