// The promises DOCS.md makes about packaging, start-up, backups and restores, each checked against
// the file or code that keeps it, so that changing one without the other fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { selectDatabases } from '../../src/backups/select.ts';
import type { DatabaseInfo } from '../../src/model/backup.ts';
import { repoRoot } from '../support/rootfs-sandbox.ts';
import { MAX_HA_EVENT_BYTES } from '../../src/model/ha-inbound.ts';
import { EVENT_ACTION_REFUSED, OUTBOX_POLL_MS } from '../../src/ha/iris-to-ha.ts';

const docs = readFileSync(join(repoRoot, 'DOCS.md'), 'utf8');
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const config = parse(readFileSync(join(repoRoot, 'config.yaml'), 'utf8')) as Record<string, unknown>;
const rootfs = (p: string): string => readFileSync(join(repoRoot, 'rootfs', p), 'utf8');

/** The text of the section that starts with `heading` (up to the next heading of its level or higher). */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `a section "${heading}"`);
  const level = heading.split(' ')[0] as string;
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return next < 0 ? rest : rest.slice(0, next);
}

test("DOCS.md and README.md use Home Assistant 2026's words: apps, Settings → Apps", () => {
  // Home Assistant 2026.2 renamed add-ons to apps (Settings → Apps, the app store).
  for (const [name, text] of [['DOCS.md', docs], ['README.md', readme]] as const) {
    assert.match(text, /Settings → Apps/, `${name} sends users to Settings → Apps`);
    assert.doesNotMatch(text, /Settings → Add-ons|Add-on Store|Add-on store/, `${name} still names the old menu`);
  }
});

test('README.md opens with what the app is for a Home Assistant user, then the two commands', () => {
  const lines = readme.split('\n');
  const firstCode = lines.findIndex((l) => l.startsWith('```'));
  const intro = lines.slice(1, firstCode).join('\n');
  assert.match(intro, /Home Assistant app/, 'the store description starts with what the app is');
  assert.match(intro, /InterSystems IRIS/);
  assert.equal(lines[firstCode + 1], 'npm ci && npm start');
  assert.equal(lines[firstCode + 2], 'npm test');
});

test('"After you press Start" says what the image does', () => {
  const after = section(docs, '## After you press Start');
  // Started = healthy: the health check wants IRIS running and a bridge poll (its heartbeat).
  assert.match(after, /starting until IRIS runs and the\s+bridge has read IRIS's state for the first time/);
  const health = rootfs('usr/bin/healthcheck');
  assert.match(health, /iris_edge::iris_running/);
  assert.match(health, /IRIS_EDGE_HEARTBEAT/);
  // The bridge starts once IRIS answers: iris signals readiness, the bridge depends on iris.
  assert.match(after, /the bridge itself starts only once IRIS\s+answers/);
  assert.ok(existsSync(join(repoRoot, 'rootfs/etc/s6-overlay/s6-rc.d/iris/notification-fd')));
  assert.ok(existsSync(join(repoRoot, 'rootfs/etc/s6-overlay/s6-rc.d/bridge/dependencies.d/iris')));
  // Home Assistant does not wait at boot: the default stage, application, after Core.
  assert.match(after, /does not wait for IRIS Edge: the app starts after Home Assistant Core/);
  assert.ok(!('startup' in config) || config.startup === 'application');
});

test("what Home Assistant's backups leave out is what config.yaml excludes, journals stay in", () => {
  const ha = section(docs, "### Home Assistant's backups of the app");
  const patterns = config.backup_exclude as string[];
  for (const p of patterns) {
    const path = p.replace(/^\*\/iris\//, '').replace(/\/\*$/, '');
    assert.ok(ha.includes(`\`${path}\``), `DOCS names the excluded ${path}`);
  }
  assert.match(ha, /journals, the write image journal/);
  assert.ok(!patterns.some((p) => /journal|WIJ/i.test(p)), 'journals and the WIJ are never excluded');
});

test('the databases DOCS.md says an IRIS Edge backup holds and leaves out are the ones it captures', () => {
  const inOne = /- \*\*What is in one\.\*\*([\s\S]*?)\n- \*\*/.exec(docs)?.[1] ?? '';
  const leftOut = /Left out:([\s\S]*)$/.exec(inOne)?.[1] ?? '';
  const namedOut = [...leftOut.matchAll(/`([A-Z]+)`/g)].map((m) => m[1] as string).sort();
  assert.deepEqual(namedOut, ['ENSLIB', 'IRISLIB', 'IRISLOCALDATA', 'IRISTEMP']);

  // The databases of a fresh IRIS 2026.1 (durable %SYS under /data/iris) plus a user database.
  const db = (name: string, dir: string, readOnly = false): DatabaseInfo => ({ name, directory: `/data/iris/mgr/${dir}`, sizeBytes: 1, readOnly, mounted: true });
  const all = [
    db('IRISSYS', ''), db('IRISSECURITY', 'irissecurity/'), db('IRISAUDIT', 'irisaudit/'), db('IRISMETRICS', 'irismetrics/'),
    db('IRISTEMP', 'iristemp/'), db('IRISLOCALDATA', 'irislocaldata/'), db('USER', 'user/'),
    db('IRISLIB', 'irislib/', true), db('ENSLIB', 'enslib/', true),
  ];
  const selection = selectDatabases(all);
  assert.deepEqual(selection.excluded.map((d) => d.name).sort(), namedOut, 'left out: exactly what DOCS.md names');
  const restored = selection.included.map((d) => d.name);
  // What DOCS.md says a restore rolls back (users, roles, passwords, SSL/TLS configurations).
  const rollsBack = /\*\*What it rolls back:\*\*([\s\S]*?)\n\n/.exec(docs)?.[1] ?? '';
  for (const name of ['IRISSYS', 'IRISSECURITY']) {
    assert.ok(rollsBack.includes(`\`${name}\``), `DOCS says a restore rolls back ${name}`);
    assert.ok(restored.includes(name), `an IRIS Edge backup captures ${name}`);
  }
  assert.ok(inOne.includes('`IRISSECURITY` (users, roles, SSL/TLS configurations) is included'));
});

test('DOCS.md says whether the app is built locally or downloaded, as config.yaml has it', () => {
  const prebuilt = 'image' in config;
  const issues = section(docs, '## Known issues and limitations');
  assert.equal(/no prebuilt image yet/.test(issues), !prebuilt, 'Known issues: built on your machine exactly while config.yaml has no image');
  assert.equal(/Home Assistant builds the app on your\s+machine/.test(section(docs, '## Installation')), !prebuilt);
});

test('the Apps section promises what the apps code keeps', async () => {
  const apps = section(docs, '## Apps');
  const { PINNED_IPM } = await import('../../src/ipm/apps-service.ts');
  const { loadConfig } = await import('../../src/config/load.ts');
  assert.match(apps, new RegExp(`IPM ${PINNED_IPM.replace(/\./g, '\\.')}`), 'the pinned IPM release is the one DOCS.md names');
  const c = loadConfig({ env: { SUPERVISOR_TOKEN: 't' }, argv: [], readFile: () => '{}' });
  assert.ok(apps.includes(c.apps.registryFile), 'the registry settings file DOCS.md names');
  assert.ok(c.apps.offlineFolder && apps.includes(c.apps.offlineFolder), 'the offline folder DOCS.md names');
  assert.ok(/^\s+- share:rw$/m.test(readFileSync(join(repoRoot, 'config.yaml'), 'utf8')), 'the offline folder is under /share, which config.yaml maps');
  const { ARCHIVE_LIMITS: l } = await import('../../src/ipm/package-archive.ts');
  const flat = apps.replace(/\s+/g, ' ');
  for (const promise of [`larger than ${l.maxArchiveBytes / 2 ** 20} MiB`, `more than ${l.maxUnpackedBytes / 2 ** 20} MiB unpacked`, `more than ${l.maxEntries.toLocaleString('en')} files`, `\`module.xml\` over ${l.maxManifestBytes / 1024} KiB`]) {
    assert.ok(flat.includes(promise), `DOCS.md's offline folder limit: ${promise}`);
  }
  assert.match(apps, /iris session IRIS/);
  const installer = readFileSync(join(repoRoot, 'src/ipm/iris-session-apps.ts'), 'utf8');
  assert.match(installer, /spawn\(bin, \['session', o\.instance \?\? 'IRIS'/, 'the privileged path is iris session');
  assert.match(section(docs, '### Option: `ipm_packages`'), /is \*\*not\*\* uninstalled/);
  const watch = readFileSync(join(repoRoot, 'src/ipm/apps-watch.ts'), 'utf8');
  assert.match(apps, /every 6 hours/);
  assert.match(watch, /6 \* 3600_000/, 'the registry is asked every 6 hours, as DOCS.md says');
  const declared = readFileSync(join(repoRoot, 'src/ipm/declared-apps.ts'), 'utf8');
  assert.doesNotMatch(declared, /uninstall\(/, 'declared apps never uninstall');
});

test('"From Home Assistant to IRIS" says what the code does: classes, limits, defaults, the calls', () => {
  const part = section(docs, '## From Home Assistant to IRIS');
  for (const cls of ['IrisEdge.HA.EventService', 'IrisEdge.HA.Event']) {
    assert.ok(existsSync(join(repoRoot, 'rootfs/usr/share/iris-edge/agent', `${cls}.cls`)), `${cls}.cls is shipped`);
  }
  assert.match(part, new RegExp(`over ${MAX_HA_EVENT_BYTES / 1024} KB`));
  assert.match(part, /and\s+16 MB/);
  assert.match(readFileSync(join(repoRoot, 'src/compose/ha-to-iris.ts'), 'utf8'), /QUEUE_BYTES = 16 \* 1024 \* 1024/);
  const options = config.options as Record<string, unknown>;
  assert.equal(options.to_iris_service, 'HomeAssistant');
  assert.match(section(docs, '### Option: `to_iris_service`'), /Default `HomeAssistant`/);
  assert.match(section(docs, '### Option: `to_iris_namespace`'), new RegExp(`Default \`${String(options.to_iris_namespace)}\``));
  assert.match(section(docs, '### Option: `to_iris_queue`'), new RegExp(`Default ${String(options.to_iris_queue)}\\.`));
  const agent = rootfs('usr/share/iris-edge/agent/IrisEdge.Agent.cls');
  assert.match(agent, /Ens\.Director\)\.CreateBusinessService\(service, \.bs\)/);
  assert.match(agent, /bs\.ProcessInput\(/);
  assert.match(rootfs('usr/share/iris-edge/agent/IrisEdge.Setup.cls'), /\$\$\$ThrowOnError\(\.\.InstallHaClasses\(dir\)\)/);
});

test('"From IRIS to Home Assistant" says what the code does: the class, the poll, the refusal event, the options', () => {
  const part = section(docs, '## From IRIS to Home Assistant');
  for (const cls of ['Home', 'Operation', 'CallActionRequest', 'FireEventRequest', 'GetStateRequest', 'Response']) {
    assert.ok(existsSync(join(repoRoot, `rootfs/usr/share/iris-edge/agent/IrisEdge.HA.${cls}.cls`)), cls);
    assert.match(rootfs('usr/share/iris-edge/agent/IrisEdge.Setup.cls'), new RegExp(`"${cls}"`), `the setup loads IrisEdge.HA.${cls}`);
  }
  for (const m of ['CallAction', 'FireEvent', 'GetState']) assert.match(rootfs('usr/share/iris-edge/agent/IrisEdge.HA.Operation.cls'), new RegExp(`<Method>${m}</Method>`));
  assert.equal(OUTBOX_POLL_MS, 250);
  assert.match(part, /four times a second/);
  assert.match(part, /up to a quarter of a second/);
  assert.match(part, new RegExp(`\\\`${EVENT_ACTION_REFUSED}\\\` event`));
  assert.match(part, /did not answer within 10 s \(is the IRIS Edge app running\?\)/);
  assert.match(rootfs('usr/share/iris-edge/agent/IrisEdge.HA.Home.cls'), /did not answer within "_timeout_" s \(is the IRIS Edge app running\?\)/);
  assert.match(rootfs('usr/share/iris-edge/agent/IrisEdge.HA.Home.cls'), /timeout As %Integer = 10/);
  const options = config.options as Record<string, unknown>;
  for (const o of ['from_iris_actions', 'from_iris_events', 'from_iris_states']) {
    assert.deepEqual(options[o], [], `${o} allows nothing by default`);
    assert.match(section(docs, `### Option: \`${o}\``), /Empty by default: none\./);
  }
});
