#!/usr/bin/env node
// The `tracker` command (package.json `bin`): runs cli/tracker.ts through tsx, found next to this file.
import { register } from 'tsx/esm/api';

register();
await import('../cli/tracker.ts');
