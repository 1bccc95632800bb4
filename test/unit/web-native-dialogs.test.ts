/**
 * The panel asks in its own dialog (confirmDialog in web/src/pages.ts): the browser's confirm(),
 * alert() and prompt() ignore the panel's theme and wording (their title is the page's address),
 * freeze the whole page while open, and a browser may suppress them after a few in a row. This
 * fails as soon as one comes back into web/src.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('../../web/src/', import.meta.url));

/** A call of the browser's own dialog, bare or through window/globalThis/self. */
const NATIVE = /(?<![\w$])(?:(?:window|globalThis|self)\s*\.\s*)?(confirm|alert|prompt)\s*\(/g;

/** Code without comments and string contents, so prose that says "confirm (…)" is no call. */
function code(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/(['"])(?:\\.|(?!\1)[^\\\n])*\1/g, "''")
    .replace(/`(?:\\.|[^\\`])*`/g, '``');
}

function nativeDialogCalls(src: string): string[] {
  return [...code(src).matchAll(NATIVE)].map((m) => m[1] as string);
}

describe('no browser-native dialogs in the panel', () => {
  it('finds the calls it must find, and not the panel\'s own', () => {
    assert.deepEqual(nativeDialogCalls('if (!confirm(`Delete ${x}?`)) return;'), ['confirm']);
    assert.deepEqual(nativeDialogCalls('window.confirm("a"); globalThis.alert(1); self.prompt ("x")'), ['confirm', 'alert', 'prompt']);
    assert.deepEqual(nativeDialogCalls('await confirmDialog(t, x, "OK"); confirmRestore(r, p); api.confirm; onconfirm(1)'), []);
    assert.deepEqual(nativeDialogCalls('// never confirm() here\nconst s = "press confirm() to"; /* alert(1) */'), []);
  });

  it('web/src calls none of confirm(), alert(), prompt()', () => {
    const files = readdirSync(WEB).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 5, `web/src has its sources (${files.length} files)`);
    const found = files.flatMap((f) => nativeDialogCalls(readFileSync(join(WEB, f), 'utf8')).map((call) => `${f}: ${call}()`));
    assert.deepEqual(found, [], 'use confirmDialog from web/src/pages.ts');
  });
});
