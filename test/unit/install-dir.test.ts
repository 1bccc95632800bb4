/** Where the installation is found from a module's URL, bundled or not (src/model/install-dir.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entryUrl, installOf } from '../../src/model/install-dir.ts';

/** A file system holding only `files` (paths), as existsSync would see it. */
const holding = (...files: string[]) => (file: URL) => files.includes(file.pathname);

test('the installation is the nearest directory above the module that holds package.json', () => {
  const image = holding('/opt/iris-edge/package.json', '/opt/iris-edge/node_modules/mqtt/package.json');
  assert.equal(installOf('file:///opt/iris-edge/dist/main.js', image).dir.href, 'file:///opt/iris-edge/');
  assert.equal(installOf('file:///opt/iris-edge/dist/chunks/chunk-ABC.js', image).dir.href, 'file:///opt/iris-edge/');
  const repo = holding('/work/iris-edge/package.json');
  assert.equal(installOf('file:///work/iris-edge/src/panel/assets.ts', repo).dir.href, 'file:///work/iris-edge/');
  assert.equal(installOf('file:///work/iris-edge/package.ts', repo).dir.href, 'file:///work/iris-edge/');
});

test('no package.json above the module is an error that names the module', () => {
  assert.throws(() => installOf('file:///tmp/x/dist/main.js', holding('/tmp/y/package.json')), /package\.json is in no directory above \/tmp\/x\/dist\/main\.js/);
});

test('entry points are the sources under tsx and the built files otherwise', () => {
  const fs = holding('/opt/iris-edge/package.json');
  assert.equal(entryUrl(installOf('file:///opt/iris-edge/dist/chunks/chunk-ABC.js', fs), 'certs/worker').href, 'file:///opt/iris-edge/dist/certs/worker.js');
  assert.equal(entryUrl(installOf('file:///opt/iris-edge/src/certs/cert-workers.ts', fs), 'certs/worker').href, 'file:///opt/iris-edge/src/certs/worker.ts');
});
