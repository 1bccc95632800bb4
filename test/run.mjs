#!/usr/bin/env node
// The suite runner behind `npm test`: picks the test files of each layer, prepares the peers a
// layer needs, and runs everything in ONE node:test process so there is one summary at the end.
// A layer that cannot run here is named loudly; with CI=true that is a failure, never a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeMismatch, readPin } from '../scripts/pinned-node.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ci = process.env.CI === 'true';
const requested = process.argv.slice(2);
const layers = requested.length > 0 ? requested : ['unit', 'addon', 'integration', 'e2e', 'browser', 'contract'];

// The tests are about the add-on, so they run on the image's Node (npm scripts find it first on
// PATH, see scripts/pinned-node.mjs); another major is a failure in CI, a loud warning elsewhere.
const pin = readPin(root);
const wrongNode = nodeMismatch(pin, process.version);
console.error(`Tests run on Node ${process.version} (${process.execPath}); the image runs ${pin}.`);
if (wrongNode && ci) {
  console.error(`FAIL: ${wrongNode}`);
  process.exit(1);
}

function filesOf(layer) {
  const dir = join(root, 'test', layer);
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.test\.ts$/.test(name)) out.push(relative(root, p));
    }
  };
  walk(dir);
  return out;
}

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Returns null when the layer can run, else the reason it cannot. */
function missingFor(layer) {
  switch (layer) {
    case 'integration':
      return which('mosquitto') ? null : 'mosquitto is not installed (apt-get install mosquitto)';
    case 'addon':
      if (!which('shellcheck')) return 'shellcheck is not installed (apt-get install shellcheck)';
      return which('jq') ? null : 'jq is not installed (apt-get install jq)';
    case 'e2e': {
      if (process.getuid?.() !== 0) return 'the Home Assistant chroot needs root';
      if (!which('debootstrap') && !process.env.IRIS_EDGE_HA_ROOT) return 'debootstrap is not installed';
      if (!which('mosquitto')) return 'mosquitto is not installed';
      return null;
    }
    case 'browser':
      return which('chromium') ? null : 'Debian chromium is not installed (apt-get install chromium)';
    case 'contract':
      return process.env.IRIS_HOST ? null : 'IRIS_HOST is not set (the contract suite needs a real IRIS)';
    default:
      return null;
  }
}

const files = [];
const notRun = [];
for (const layer of layers) {
  const layerFiles = filesOf(layer);
  if (layerFiles.length === 0) continue;
  const why = missingFor(layer);
  if (why) {
    // The contract suite is for whoever has a real IRIS; everything else is required in CI.
    if (ci && layer !== 'contract') {
      console.error(`FAIL: the ${layer} tests cannot run: ${why}. CI must install it (.ci/run).`);
      process.exit(1);
    }
    notRun.push(`${layer} (${layerFiles.length} files): ${why}`);
    continue;
  }
  if (layer === 'e2e') {
    const prep = spawnSync('bash', [join(root, 'test/e2e/harness/prepare.sh')], { stdio: 'inherit' });
    if (prep.status !== 0) {
      console.error('FAIL: the Home Assistant harness could not be prepared (see above).');
      process.exit(1);
    }
  }
  files.push(...layerFiles);
}

if (files.length === 0) {
  console.error('No test files found for: ' + layers.join(', '));
  process.exit(1);
}

const banner = () => {
  if (notRun.length === 0 && !wrongNode) return;
  console.error('\n' + '!'.repeat(78));
  if (wrongNode) console.error(`WRONG NODE: ${wrongNode}`);
  if (notRun.length > 0) console.error('NOT RUN on this machine:');
  for (const n of notRun) console.error('  - ' + n);
  console.error('!'.repeat(78) + '\n');
};
banner();
// IRIS keeps local time and UTC apart, and so must the bridge: the suite runs in a zone far from
// UTC (+12:45/+13:45 with daylight saving, across the date line) unless TZ names another, so a
// local time taken for UTC, or the reverse, shows up as a failure.
const tz = process.env.TZ || 'Pacific/Chatham';
console.error(`Tests run with TZ=${tz}.`);
const res = spawnSync(
  process.execPath,
  // A backstop for an await that never settles: the test fails after 10 minutes instead of holding CI.
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TZ: tz, NODE_OPTIONS: '' } },
);
banner();
process.exit(res.status ?? 1);
