/**
 * The esbuild settings every function bundle is built with, in one place for the stack
 * (`infra/constructs/tracker-function.ts`) and the bundle benchmark (`bench/bundles.ts`), so the
 * two cannot drift apart. Plain data: no aws-cdk-lib import.
 */

/** esbuild target of the bundles: the Lambda runtime's Node.js (`NODE_RUNTIME`). */
export const ESBUILD_TARGET = 'node24';

/**
 * ESM bundles have no `require`; some CommonJS dependencies bundled into them still call it
 * (for Node built-ins), so the bundle defines one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __trackerCreateRequire } from 'node:module'; const require = __trackerCreateRequire(import.meta.url);";

/** Prefer packages' ESM builds: they tree-shake, so a bundle holds only what it imports. */
export const MAIN_FIELDS = ['module', 'main'];

/**
 * Packages replaced at bundle time, by a file relative to the project root (esbuild's working
 * directory when the stack bundles). Each replacement says why it is safe on Lambda.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  // The SDK's default credential chain → the Lambda runtime's environment credentials (~130 kB less).
  '@aws-sdk/credential-provider-node': './infra/bundling/lambda-credentials.ts',
};
