/** `npm start`: runs the local stack until SIGINT/SIGTERM, then stops every part (no orphan java). */
import { loadLocalConfig } from '../src/config.ts';
import { adminKeyFile, resolveAdminKey } from './admin-key.ts';
import { startLocalStack } from './stack.ts';

// The machines run Node 20 (README); the SDK's notice about its future Node 22 floor is known.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const config = loadLocalConfig();
const admin = resolveAdminKey(config.TRACKER_DATA_DIR, config.TRACKER_ADMIN_KEY);
if (admin.generated) {
  console.log(`[tracker] generated an admin key (shown once; kept in ${adminKeyFile(config.TRACKER_DATA_DIR)}):\n\n    ${admin.key}\n`);
}
const stack = await startLocalStack({
  adminKey: admin.key,
  dataDir: config.TRACKER_DATA_DIR,
  port: config.PORT,
  seed: config.TRACKER_SEED,
  allowPrivateWebhooks: config.TRACKER_ALLOW_PRIVATE_WEBHOOKS === '1',
  webhookRetryScale: config.TRACKER_WEBHOOK_RETRY_SCALE,
  log: (line) => console.log(`[tracker] ${line}`),
});
console.log(`[tracker] ready on ${stack.url} (data in ${config.TRACKER_DATA_DIR}); try ${stack.url}/v1/summary`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`[tracker] ${signal}: stopping`);
    stack.stop().then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}
