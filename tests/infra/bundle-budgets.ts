/**
 * Size budgets of each function's minified `index.mjs`, in bytes: today's size plus ~5% headroom,
 * so a new dependency, a non-tree-shaken import or the SDK's default credential chain coming back
 * fails the infra tests instead of silently adding cold-start time.
 *
 * What the bytes are (esbuild metafile, kB): every function carries the AWS SDK's core (~140:
 * @smithy/core, @aws-sdk/core, signing, HTTP), the DynamoDB and SQS clients (~70 with the document
 * client), zod 4 classic (~90-100, not tree-shakable), Powertools (~35-45), and — through
 * `createTracker`'s admin-key resolver — the Secrets Manager client (~30, used only by api and stream).
 */
export const BUNDLE_BUDGET_BYTES = {
  api: 665_000, // + Hono, the API routes, and the pages (dashboard, docs: ~100 kB, imported on first request)
  projector: 470_000,
  reconciler: 450_000,
  notifier: 430_000,
  deliverer: 435_000,
  'retry-sweeper': 445_000,
  stream: 540_000, // the API without the pages (createApiRoutes)
} as const;
