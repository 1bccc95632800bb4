import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyError, decodeValue } from '../../src/iris/native/protocol.ts';

describe('Native API error classification (by message text)', () => {
  it('recognises a lost or refused connection', () => {
    for (const m of [
      '<COMMUNICATION LINK ERROR> Failed to connect to server; Details: Error code: 110 Communication timed out',
      'write EPIPE',
      'read ECONNRESET',
    ]) {
      assert.equal(classifyError(m).kind, 'connection', m);
    }
  });

  it('recognises ObjectScript errors and keeps their code', () => {
    assert.deepEqual(classifyError('<CLASS DOES NOT EXIST> *IrisEdge.Agent'), {
      kind: 'class-missing',
      irisCode: '<CLASS DOES NOT EXIST>',
    });
    assert.equal(classifyError('<METHOD DOES NOT EXIST> *Snapshot,IrisEdge.Agent').kind, 'method-missing');
    assert.deepEqual(classifyError('<PROTECT> *^Ens.Runtime'), { kind: 'protect', irisCode: '<PROTECT>' });
    assert.deepEqual(classifyError('<UNDEFINED> zSnapshot+3^IrisEdge.Agent.1 *x'), { kind: 'server', irisCode: '<UNDEFINED>' });
  });

  it('a login refusal is "login", and any other connect failure is "connection"', () => {
    assert.equal(classifyError('Access Denied', true).kind, 'login');
    assert.equal(classifyError('Invalid argument', true).kind, 'connection');
  });
});

describe('Native API value decoding', () => {
  it('BigInt becomes a number when safe, else its decimal string', () => {
    assert.equal(decodeValue(1n), 1);
    assert.equal(decodeValue(9007199254740993n), '9007199254740993');
  });
  it('null/undefined -> null, strings/booleans/numbers unchanged, bytes -> utf8', () => {
    assert.equal(decodeValue(undefined), null);
    assert.equal(decodeValue('1'), '1');
    assert.equal(decodeValue(true), true);
    assert.equal(decodeValue(2.5), 2.5);
    assert.equal(decodeValue(Buffer.from('ok')), 'ok');
  });
  it('refuses objects it cannot carry across threads', () => {
    assert.throws(() => decodeValue({ oref: '1@%Library.DynamicObject' }), TypeError);
  });
});
