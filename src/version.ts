import { existsSync, readFileSync } from 'node:fs';
import { installOf } from './model/install-dir.ts';

/** The bridge's own version, from its package.json. */
export const BRIDGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('package.json', installOf(import.meta.url, existsSync).dir), 'utf8')) as { version: string }
).version;
