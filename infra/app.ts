/** CDK app entry (`cdk.json` → `npx tsx infra/app.ts`). */
import { createTrackerApp } from './tracker-app.ts';

createTrackerApp().app.synth();
