/**
 * Builds the CDK app: settings from context, the tracker stack for the chosen stage, and cdk-nag's
 * AwsSolutions checks as a policy-validation plugin, so every synth (CLI or test) fails on an
 * unacknowledged finding. `app.ts` runs it; tests call it with their own output directory.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readSettings } from './settings.ts';
import { TrackerStack } from './tracker-stack.ts';

export interface TrackerApp {
  readonly app: App;
  readonly stack: TrackerStack;
}

export function createTrackerApp(props?: AppProps): TrackerApp {
  const app = new App(props);
  const settings = readSettings(app.node);
  const stack = new TrackerStack(app, `GpuPolicyTracker-${settings.stage}`, {
    description: `GPU Policy Tracker (${settings.stage}): event log, projections and public API`,
    settings,
    // Environment-agnostic on purpose: synth needs no credentials; deploy targets the caller's account and region.
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
