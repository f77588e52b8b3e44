/**
 * The dashboard's browser script, assembled from its parts into one strict-mode IIFE at import
 * time. It is a string constant, not a file read at run time, so the Lambda bundle carries it.
 * The labels are serialised from the typed table in labels.ts.
 */
import { CORE_JS } from './client/core.ts';
import { LIVE_JS } from './client/live.ts';
import { MAIN_JS } from './client/main.ts';
import { OVERVIEW_JS } from './client/overview.ts';
import { PROGRESS_JS } from './client/progress.ts';
import { RECIPIENT_JS } from './client/recipient.ts';
import { TIMELINE_JS } from './client/timeline.ts';
import { LABELS } from './labels.ts';

export const DASHBOARD_JS = [
  '(function () {',
  "'use strict';",
  // Escapes '<' so no label can ever close a script context if the JSON is inlined somewhere.
  `var LABELS = ${JSON.stringify(LABELS).replace(/</g, '\\u003c')};`,
  CORE_JS,
  PROGRESS_JS,
  TIMELINE_JS,
  LIVE_JS,
  OVERVIEW_JS,
  RECIPIENT_JS,
  MAIN_JS,
  '})();',
  '',
].join('\n');
