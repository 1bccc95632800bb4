#!/usr/bin/env node
// The test command StrykerJS's command runner starts for each mutant: the module's test files one
// after the other, stopping at the first that fails (a killed mutant needs no further proof).
// Files that do not exist yet are skipped, so the same table measures the tests before and after.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MODULES } from './mutation-modules.mjs';

const mod = MODULES[process.argv[2] ?? ''];
if (!mod) {
  console.error(`usage: mutation-tests.mjs <${Object.keys(MODULES).join('|')}>`);
  process.exit(2);
}
for (const file of mod.tests.filter((f) => existsSync(f))) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=dot', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TZ: process.env.TZ || 'Pacific/Chatham', NODE_OPTIONS: '' },
  });
  if (res.status !== 0) process.exit(1);
}
