/** The notifier's SQS handler: each subject named in a batch is fanned out once (see subject-batch-handler). */
import type { Notifier } from '../services/notifier.ts';
import { createSubjectBatchHandler } from './subject-batch-handler.ts';

export const createNotifierHandler = (notify: Notifier['notify']) => createSubjectBatchHandler(notify);
