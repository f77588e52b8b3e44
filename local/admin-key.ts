/**
 * The local admin key (CONTRACT §7): `TRACKER_ADMIN_KEY` when set; otherwise generated once, kept
 * in the data directory (mode 0600) and printed only when it is created.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function adminKeyFile(dataDir: string): string {
  return join(dataDir, 'admin-key');
}

export function resolveAdminKey(dataDir: string, fromEnv: string | undefined): { key: string; generated: boolean } {
  if (fromEnv) return { key: fromEnv, generated: false };
  const file = adminKeyFile(dataDir);
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(dataDir, { recursive: true });
  const key = `trk_admin_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}
