import { defineConfig } from 'vitest/config';

/** `npm run test:faults`: the fault-injection scenarios (tests/faults), seeded; see RELIABILITY.md. */
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.spec.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
