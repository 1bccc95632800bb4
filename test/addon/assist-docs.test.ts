// DOCS.md's "Voice (Assist)" table is the list of sentences assist.e2e.test.ts speaks to the real
// Home Assistant (test/e2e/assist-sentences.ts): the same rows, the same answers, the same refusal.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COOLDOWN_REFUSAL, VOICE_ROWS } from '../e2e/assist-sentences.ts';
import { repoRoot } from '../support/rootfs-sandbox.ts';

const docs = readFileSync(join(repoRoot, 'DOCS.md'), 'utf8');

function between(start: string, end: string): string {
  const a = docs.indexOf(start);
  const b = docs.indexOf(end, a);
  assert.ok(a >= 0 && b > a, `DOCS.md has ${start} … ${end}`);
  return docs.slice(a + start.length, b);
}

test("DOCS.md lists exactly the Assist sentences the e2e test speaks, with their answers", () => {
  const rows = between('<!-- voice-sentences -->', '<!-- /voice-sentences -->')
    .trim()
    .split('\n')
    .slice(2)
    .map((line) => {
      const cells = line.replace(/^\|\s*|\s*\|$/g, '').split(/\s*(?<!\\)\|\s*/).map((c) => c.replace(/\\\|/g, '|'));
      assert.equal(cells.length, 2, line);
      return { says: cells[0], answer: cells[1] };
    });
  assert.deepEqual(rows, VOICE_ROWS);
});

test('DOCS.md quotes the refusal Assist says within the cooldown', () => {
  assert.equal(between('<!-- voice-refusal -->"', '"<!-- /voice-refusal -->'), COOLDOWN_REFUSAL);
});
