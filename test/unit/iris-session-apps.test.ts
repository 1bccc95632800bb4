// The owner's privileged path for apps, against a stand-in `iris` executable that records what it
// was asked and answers as IRIS and IPM do: the routines it runs, the namespace it runs them in,
// live output, outcome lines, ObjectScript errors, and credentials that never reach a command line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { irisSessionApps } from '../../src/ipm/iris-session-apps.ts';

let dir: string;
let bin: string;
const log = () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; file?: string });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'iris-session-apps-'));
  const script = join(dir, 'fake-iris.mjs');
  writeFileSync(
    script,
    `import { appendFileSync, readFileSync, existsSync } from 'node:fs';
const argv = process.argv.slice(2);
const routine = argv[4] ?? '';
const fileArg = /\\("([^"]+)"\\)$/.exec(routine)?.[1];
appendFileSync(${JSON.stringify(join(dir, 'calls.log'))}, JSON.stringify({ argv, file: fileArg && existsSync(fileArg) ? readFileSync(fileArg, 'utf8') : undefined }) + '\\n');
const ns = argv[3];
if (ns === 'NOIPM' && routine.includes('%IPM.Main')) { console.log(''); console.log('<CLASS DOES NOT EXIST> *%IPM.Main'); process.exit(1); }
if (routine.startsWith('##class(IrisEdge.Setup).AppsNamespaces')) { console.log('IRIS-EDGE-NS: USER 0'); console.log('IRIS-EDGE-NS: APPS 1'); console.log('IRIS-EDGE-APPS-OK'); }
else if (routine.includes('CreateAppsNamespace("TAKEN"')) console.log('IRIS-EDGE-APPS-FAILED: ERROR #5001: IRIS already has a namespace or database TAKEN');
else if (routine.startsWith('##class(IrisEdge.Setup).')) console.log('IRIS-EDGE-APPS-OK');
else if (routine.includes('Shell("install')) { console.log('Building dependency graph...'); setTimeout(() => { console.log('Done.'); process.stdout.write('[' + ns + '|webterminal]\\tActivate SUCCESS'); }, 50); }
else if (routine.includes('Shell("list-installed")')) console.log('\\u001b[1mIPM (zpm)\\u001b[0m 0.10.9\\nwebterminal 4.9.2');
else if (routine.startsWith('##class(%SYSTEM.OBJ).Load')) console.log('Load finished successfully.');
else { console.log('<SYNTAX>'); process.exit(1); }
`,
  );
  bin = join(dir, 'iris');
  writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`);
  chmodSync(bin, 0o755);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const runner = () => irisSessionApps({ irisBin: bin, agentDir: '/usr/share/iris-edge/agent', workDir: join(dir, 'work') });

test('namespaces come from IrisEdge.Setup.AppsNamespaces in %SYS', async () => {
  assert.deepEqual(await runner().namespaces(), [{ name: 'USER', interop: false }, { name: 'APPS', interop: true }]);
  assert.deepEqual(log().at(-1)!.argv, ['session', 'IRIS', '-U', '%SYS', '##class(IrisEdge.Setup).AppsNamespaces()']);
});

test('IPM commands run in their namespace through %IPM.Main.Shell, output streamed line by line', async () => {
  const seen: string[] = [];
  await runner().zpm('APPS', 'install webterminal 4.9.2', (l) => seen.push(l));
  assert.deepEqual(log().at(-1)!.argv, ['session', 'IRIS', '-U', 'APPS', '##class(%IPM.Main).Shell("install webterminal 4.9.2")']);
  assert.deepEqual(seen, ['Building dependency graph...', 'Done.', '[APPS|webterminal]\tActivate SUCCESS']);
});

test('IPM missing: the ObjectScript error is the rejection the service reads', async () => {
  await assert.rejects(runner().zpm('NOIPM', 'list-installed', () => {}), /IRIS answered <CLASS DOES NOT EXIST> \*%IPM\.Main/);
});

test('create and delete go through IrisEdge.Setup; IRIS\'s refusal is the rejection', async () => {
  assert.equal(await runner().createNamespace('NEW_NS', true), 'NEW_NS');
  assert.deepEqual(log().at(-1)!.argv.slice(3), ['%SYS', '##class(IrisEdge.Setup).CreateAppsNamespace("NEW_NS",1,"/usr/share/iris-edge/agent")']);
  await assert.rejects(runner().createNamespace('TAKEN', true), /ERROR #5001: IRIS already has a namespace or database TAKEN/);
  await runner().deleteNamespace('NEW_NS');
  assert.deepEqual(log().at(-1)!.argv.slice(3), ['%SYS', '##class(IrisEdge.Setup).DeleteAppsNamespace("NEW_NS")']);
});

test('registry credentials: in a 0600 file IRIS reads, gone afterwards, never on the command line', async () => {
  const lines: string[] = [];
  await runner().setRegistry('APPS', { url: 'https://r.example/', credentials: { username: 'edge', password: 'Top$ecret 1' } }, (l) => lines.push(l));
  const call = log().at(-1)!;
  assert.equal(call.file, 'https://r.example/\nedge\nTop$ecret 1\n', 'IRIS read the file');
  assert.ok(!call.argv.join(' ').includes('Top$ecret'), 'not on the command line');
  assert.deepEqual(readdirSync(join(dir, 'work')), [], 'the file is gone');
  assert.deepEqual(lines, ['IPM in APPS uses the registry https://r.example/ as edge.']);
});

test('the IPM installer is loaded from a file with $SYSTEM.OBJ.Load "ck", then removed', async () => {
  await runner().loadIpmInstaller('APPS', '0.10.9', Buffer.from('<Export/>'));
  const call = log().at(-1)!;
  assert.match(call.argv[4]!, /^##class\(%SYSTEM\.OBJ\)\.Load\(".*\/work\/zpm-0\.10\.9\.xml-[0-9a-f]{12}","ck"\)$/);
  assert.equal(existsSync(/"([^"]+)"/.exec(call.argv[4]!)![1]!), false);
});

test('hostile values never reach a routine', async () => {
  const before = log().length;
  await assert.rejects(runner().zpm('APPS', 'install x") do ##class(Evil).Run("', () => {}), /quote/);
  await assert.rejects(runner().zpm('APPS"', 'list-installed', () => {}), /not a namespace name/);
  await assert.rejects(runner().createNamespace('A;B', true), /not a namespace name/);
  await assert.rejects(runner().zpm('APPS', 'install x\nhalt', () => {}), /control character/);
  assert.equal(log().length, before);
});

test('an iris that cannot start is a clear rejection', async () => {
  await assert.rejects(irisSessionApps({ irisBin: join(dir, 'no-such-iris'), agentDir: '/x', workDir: join(dir, 'work') }).namespaces(), /could not start/);
});
