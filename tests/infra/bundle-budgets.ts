/**
 * Size budgets of each function's minified `index.mjs`, in bytes: today's size plus a little
 * headroom, so a new dependency or a non-tree-shaken import fails the infra tests instead of
 * silently adding cold-start time.
 */
export const BUNDLE_BUDGET_BYTES = {
  api: 800_000, // + Powertools parameters and the Secrets Manager client (admin key), dashboard assets
  projector: 600_000,
  reconciler: 600_000,
  notifier: 600_000,
  deliverer: 600_000,
  'retry-sweeper': 600_000,
  stream: 800_000, // the same app as api

} as const;
