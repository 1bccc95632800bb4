import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeIrisFiles, writeIrisFiles } from '../../src/certs/iris-files.ts';
import { applySslConfigJson, sslConfigsFromAgent } from '../../src/iris/agent/contract.ts';
import { IrisContractError } from '../../src/model/errors.ts';

describe('PEM files for IRIS', () => {
  it('writes cert, key 0600 and CA into <base>/<name> (directory 0700), and removes a first write', async () => {
    const base = mkdtempSync(join(tmpdir(), 'iris-files-'));
    const f = await writeIrisFiles(base, 'Lab.TLS-1', { certPem: 'CERT\n', keyPem: 'KEY\n', caPem: 'CA\n' });
    assert.equal(f.dir, join(base, 'Lab.TLS-1'));
    assert.equal(f.created, true);
    assert.equal(statSync(f.privateKeyFile).mode & 0o777, 0o600);
    assert.equal(statSync(f.dir).mode & 0o777, 0o700);
    assert.equal(readFileSync(f.caFile, 'utf8'), 'CA\n');
    const again = await writeIrisFiles(base, 'Lab.TLS-1', { certPem: 'CERT2\n', keyPem: null, caPem: '' });
    assert.equal(again.created, false);
    assert.equal(again.privateKeyFile, '');
    assert.equal(existsSync(join(f.dir, 'key.pem')), false, 'a stale key is not left behind');
    await removeIrisFiles(again);
    assert.ok(existsSync(f.dir), 'an existing directory is kept');
    await removeIrisFiles(f);
    assert.equal(existsSync(f.dir), false);
  });

  it('refuses names that are not safe directory names', async () => {
    const base = mkdtempSync(join(tmpdir(), 'iris-files-'));
    for (const bad of ['../x', '%SuperServer', '', 'a/b', '.hidden']) {
      await assert.rejects(writeIrisFiles(base, bad, { certPem: 'C', keyPem: null, caPem: '' }));
    }
  });
});

describe('agent contract: SSL/TLS configurations', () => {
  it('ApplySslConfig JSON: type as 0/1, an empty password when none', () => {
    const j = JSON.parse(applySslConfigJson({ name: 'X', type: 'server', caFile: '', certificateFile: '/c', privateKeyFile: '/k', verifyPeer: 1, tlsMinVersion: 16, tlsMaxVersion: 32 }));
    assert.equal(j.type, 1);
    assert.equal(j.privateKeyPassword, '');
    assert.equal('description' in j, false);
  });

  it('SslConfigs: usedBy joined by name, problems reported, contract breaks named', () => {
    let problems: unknown[] = [];
    const list = sslConfigsFromAgent(
      {
        ok: true,
        configs: [{ name: 'A', description: '', type: 0, enabled: true, caFile: '', certificateFile: '', privateKeyFile: '', verifyPeer: 0, tlsMinVersion: 16, tlsMaxVersion: 32 }],
        usedBy: [{ config: 'A', namespace: 'N', production: 'P', host: 'H' }, { config: 'Gone', namespace: 'N', production: 'P', host: 'H2' }],
        problems: [{ namespace: 'BAD', text: 'not mounted' }],
      },
      (p) => (problems = p),
    );
    assert.deepEqual(list[0]!.usedBy, [{ namespace: 'N', production: 'P', host: 'H' }]);
    assert.equal(problems.length, 1);
    assert.throws(() => sslConfigsFromAgent({ ok: true, configs: [], usedBy: [{ config: 'A' }], problems: [] }), (e: Error) => e instanceof IrisContractError && /usedBy\[0\]/.test(e.message));
  });
});
