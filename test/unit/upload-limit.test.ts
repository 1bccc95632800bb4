/**
 * The backup upload limit is one number, written one way: src/model/backup.ts defines it in
 * bytes, src/model/bytes.ts writes it, and what DOCS.md promises is that number in those words.
 * (The server's refusal and the page's text are checked against it in the integration and
 * browser tests; the Supervisor's own 16 MiB cap in test/integration/ingress-upload.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BACKUP_UPLOAD_LIMIT_BYTES } from '../../src/model/backup.ts';
import { formatBytes } from '../../src/model/bytes.ts';
import { loadConfig } from '../../src/config/load.ts';

const docs = readFileSync(new URL('../../DOCS.md', import.meta.url), 'utf8');

describe('the backup upload limit', () => {
  it('is 16 GB in decimal units, the way every size is written', () => {
    assert.equal(BACKUP_UPLOAD_LIMIT_BYTES, 16e9);
    assert.equal(formatBytes(BACKUP_UPLOAD_LIMIT_BYTES), '16 GB');
  });

  it('DOCS.md states that number and no other upload limit', () => {
    const paragraph = docs.split(/\n\s*\n/).find((p) => /upload limit/i.test(p));
    assert.ok(paragraph, 'DOCS.md names the upload limit');
    const words = formatBytes(BACKUP_UPLOAD_LIMIT_BYTES);
    const exact = BACKUP_UPLOAD_LIMIT_BYTES.toLocaleString('en-US');
    assert.match(paragraph.replace(/\s+/g, ' '), new RegExp(`The upload limit is ${words} \\(${exact} bytes\\)`));
    // A second figure (the 17 GB the page once showed, a GiB) would be a second limit.
    const sizes = docs.match(/upload[^.]*?\b\d[\d,.]*\s*(?:[KMGT]i?B)\b/gi) ?? [];
    for (const s of sizes) assert.match(s, new RegExp(`\\b${words}$`), `DOCS.md: "${s}"`);
  });

  it('is what the bridge enforces unless a test sets it in MB of 1,000,000 bytes', () => {
    assert.equal(loadConfig({ env: {}, argv: [] }).backups.uploadLimitBytes, BACKUP_UPLOAD_LIMIT_BYTES);
    assert.equal(loadConfig({ env: { IRIS_EDGE_BACKUP_UPLOAD_LIMIT_MB: '8' }, argv: [] }).backups.uploadLimitBytes, 8_000_000);
  });

  it('sizes in words: bytes below 1 KB, one decimal below 10, whole numbers above', () => {
    const cases: [number, string][] = [
      [0, '0 B'],
      [999, '999 B'],
      [1000, '1.0 KB'],
      [8_000_000, '8.0 MB'],
      [16 * 1024 * 1024, '17 MB'],
      [999_999_999, '1000 MB'],
      [16 * 1024 ** 3, '17 GB'],
    ];
    for (const [n, words] of cases) assert.equal(formatBytes(n), words, String(n));
  });
});
