import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { LogBuffer } from '../../src/panel/log-buffer.ts';

describe('panel log buffer', () => {
  it('keeps the newest lines, oldest first, within its capacity', () => {
    const b = new LogBuffer(3);
    for (let i = 1; i <= 5; i++) b.add({ time: new Date().toISOString(), level: 'info', msg: `line ${i}` });
    assert.deepEqual(b.lines().map((l) => l.msg), ['line 3', 'line 4', 'line 5']);
    assert.deepEqual(b.lines().map((l) => l.seq), [3, 4, 5]);
  });

  it('filters by the lowest level and limits the count', () => {
    const b = new LogBuffer(10);
    const t = new Date().toISOString();
    b.add({ time: t, level: 'debug', msg: 'd' });
    b.add({ time: t, level: 'info', msg: 'i' });
    b.add({ time: t, level: 'warn', msg: 'w' });
    b.add({ time: t, level: 'error', msg: 'e' });
    assert.deepEqual(b.lines({ minLevel: 'warn' }).map((l) => l.msg), ['w', 'e']);
    assert.deepEqual(b.lines({ minLevel: 'debug', limit: 2 }).map((l) => l.msg), ['w', 'e']);
  });

  it('is a pino destination: levels, time, instance, errors, and redaction already applied', () => {
    const b = new LogBuffer(10);
    const log = pino({ level: 'debug', base: undefined, redact: { paths: ['password'], censor: '[redacted]' } }, pino.multistream([{ level: 'debug', stream: b }]));
    log.child({ instance: 'remote1' }).warn('IRIS is slow');
    log.error({ err: new Error('boom') }, 'Poll failed');
    log.info({ password: 's3cret' }, 'configured');
    const lines = b.lines({ minLevel: 'debug' });
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((l) => [l.level, l.msg, l.instance]), [
      ['warn', 'IRIS is slow', 'remote1'],
      ['error', 'Poll failed: boom', undefined],
      ['info', 'configured', undefined],
    ]);
    assert.ok(!JSON.stringify(lines).includes('s3cret'));
    assert.match(lines[0]?.time ?? '', /^\d{4}-\d\d-\d\dT/);
  });

  it('accepts chunks split across writes and keeps non-JSON text as info lines', () => {
    const b = new LogBuffer(10);
    const seen: string[] = [];
    b.on('line', (l) => seen.push(l.msg));
    b.write('{"level":30,"time":0,"msg":"hel');
    b.write('lo"}\nplain text\n');
    assert.deepEqual(seen, ['hello', 'plain text']);
    assert.equal(b.lines()[0]?.time, '1970-01-01T00:00:00.000Z');
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new LogBuffer(0), RangeError);
  });
});
