/**
 * Size budgets of each function's minified `index.mjs`, in bytes: today's size plus a little
 * headroom, so a new dependency or a non-tree-shaken import fails the infra tests instead of
 * silently adding cold-start time.
 */
export const BUNDLE_BUDGET_BYTES = {
  api: 600_000,
  projector: 560_000,
  reconciler: 560_000,
} as const;
