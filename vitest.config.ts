import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.spec.ts'],
    // The fault suite has its own config (longer timeouts): `npm run test:faults`, run by `npm test` after this.
    exclude: ['tests/faults/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The machines run Node 20; the AWS SDK's notice about its future Node 22 floor is known (README).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
