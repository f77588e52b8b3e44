/** Size budgets of the minified `index.mjs` of each function, in bytes. */
export const BUNDLE_BUDGET_BYTES = {
  api: 1_000_000,
  projector: 1_000_000,
  reconciler: 1_000_000,
} as const;
