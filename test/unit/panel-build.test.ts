import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { buildPanelAssets } from '../../src/panel/build.ts';
import { loadAssets } from '../../src/panel/assets.ts';
import { tailFile } from '../../src/panel/messages-log.ts';

describe('panel build', () => {
  it('writes index.html and content-hashed bundles referenced by relative URLs only', async () => {
    const out = mkdtempSync(join(tmpdir(), 'panel-build-'));
    const files = await buildPanelAssets(out);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    for (const r of refs) assert.ok(r.startsWith('./') || r.startsWith('data:') || r.startsWith('#'), `${r} is relative`);
    const assets = files.filter((f) => f.path.startsWith('assets/'));
    for (const a of assets) {
      assert.match(a.path, /^assets\/[a-z]+(-[a-z]+)*-[A-Z0-9]{8}\.(js|css)$/);
      assert.ok(existsSync(join(out, a.path)));
    }
    // The page names the CSS, the script and what the script imports up front; every other chunk
    // is reachable through a relative import in a script.
    const js = assets.filter((a) => a.path.endsWith('.js'));
    const main = js.find((a) => /^assets\/main-/.test(a.path));
    assert.ok(main && html.includes(`<script type="module" src="./${main.path}">`));
    assert.ok(assets.some((a) => /^assets\/app-\w+\.css$/.test(a.path) && html.includes(`href="./${a.path}"`)));
    const imported = new Set(js.flatMap((a) => [...a.body.toString('utf8').matchAll(/["'`]\.\/([\w-]+\.js)["'`]/g)].map((m) => `assets/${m[1]}`)));
    for (const a of js) assert.ok(a === main || html.includes(`./${a.path}`) || imported.has(a.path), `${a.path} is reachable`);
    for (const p of refs.filter((r) => r.startsWith('./assets/'))) assert.ok(files.some((f) => `./${f.path}` === p), `${p} exists`);
    // The Overview does not wait for the other pages: the certificates page is a chunk of its own.
    const certs = js.find((a) => /^assets\/certs-/.test(a.path));
    assert.ok(certs && !html.includes(certs.path), 'the certificates page is fetched when opened');
    const all = js.map((a) => a.body.toString('utf8')).join('\n');
    // No root-absolute fetch or websocket URL: they would escape the ingress prefix.
    assert.doesNotMatch(all, /fetch\(\s*["'`]\//);
    assert.doesNotMatch(all, /["'`]\/api\//);
    const gz = files.reduce((n, f) => n + gzipSync(f.body).length, 0);
    assert.ok(gz < 200 * 1024, `first load ${gz} B gzipped`);
    // Each text file has its brotli and gzip forms beside it, and the server uses those as built.
    const loaded = await loadAssets(out);
    assert.deepEqual([...loaded.keys()].sort(), files.map((f) => f.path).sort());
    for (const f of files) {
      const br = readFileSync(join(out, `${f.path}.br`));
      const gzBuilt = readFileSync(join(out, `${f.path}.gz`));
      assert.deepEqual(brotliDecompressSync(br), f.body);
      assert.deepEqual(gunzipSync(gzBuilt), f.body);
      assert.deepEqual(loaded.get(f.path)?.encoded, { br, gzip: gzBuilt });
    }
  });

  it('serves a built directory as it is, and says when one is empty', async () => {
    const out = mkdtempSync(join(tmpdir(), 'panel-built-'));
    writeFileSync(join(out, 'index.html'), '<!doctype html><title>x</title>');
    const assets = await loadAssets(out);
    assert.deepEqual([...assets.keys()], ['index.html']);
    assert.equal(assets.get('index.html')?.immutable, false);
    await assert.rejects(loadAssets(mkdtempSync(join(tmpdir(), 'panel-empty-'))), /no index\.html \(run the build\)/);
  });
});

describe('messages.log tail', () => {
  it('says why when there is no file, and returns the last lines when there is', async () => {
    const none = await tailFile(undefined, 10);
    assert.match(none.available ? '' : none.reason, /No IRIS messages\.log/);
    const missing = await tailFile('/nonexistent/messages.log', 10);
    assert.equal(missing.available, false);
    assert.match(missing.available ? '' : missing.reason, /does not exist yet/);
    const dir = mkdtempSync(join(tmpdir(), 'msglog-'));
    const p = join(dir, 'messages.log');
    writeFileSync(p, 'a\nb\nc\n');
    assert.deepEqual(await tailFile(p, 2), { available: true, lines: ['b', 'c'] });
  });

  it('reads only the end of a large file and drops the cut first line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msglog-'));
    const p = join(dir, 'messages.log');
    writeFileSync(p, Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n') + '\n');
    const t = await tailFile(p, 2000);
    assert.equal(t.available, true);
    assert.equal(t.lines.at(-1), `line 19999 ${'x'.repeat(20)}`);
    for (const l of t.lines) assert.match(l, /^line \d+ x{20}$/);
  });
});
