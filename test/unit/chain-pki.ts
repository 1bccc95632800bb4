/**
 * Certificates for the chain and host tests, made by the openssl CLI. `openssl ca` is used rather
 * than `openssl x509 -req` because only it sets both validity dates (OpenSSL 3.0 has no
 * -not_before), and the trust rules under test include expired and not-yet-valid CAs. Keys are
 * EC P-256 unless asked otherwise: they take milliseconds to make.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeInput } from '../../src/certs/decode.ts';
import type { ParsedCert } from '../../src/certs/inspect.ts';

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

export const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
export const LEAF_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n';

/** The default validity: all of 2026 to 2035, so a test's `now` decides what is expired. */
export const START = '20260101000000Z';
export const END = '20351231000000Z';

export interface Made {
  cert: ParsedCert;
  pem: string;
  keyPath: string;
  certPath: string;
}

export interface MakeOpts {
  /** Subject, as openssl -subj writes it, e.g. "/CN=Lab Root". */
  subj: string;
  ext?: string;
  /** The issuer; none for a self-signed certificate. */
  by?: Made;
  /** Sign with this existing key instead of a new one (same key, other name). */
  keyPath?: string;
  /** e.g. "rsa:1024", "ec:secp224r1"; EC P-256 by default. */
  key?: string;
  md?: string;
  start?: string;
  end?: string;
}

export class ChainPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'chain-pki-'));
  private n = 0;

  constructor() {
    mkdirSync(join(this.dir, 'new'));
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'serial'), '1000\n');
    writeFileSync(
      join(this.dir, 'ca.cnf'),
      [
        '[ca]', 'default_ca=lab',
        '[lab]', `database=${join(this.dir, 'index.txt')}`, `new_certs_dir=${join(this.dir, 'new')}`, `serial=${join(this.dir, 'serial')}`,
        'default_md=sha256', 'policy=any', 'unique_subject=no', 'email_in_dn=no', 'preserve=yes',
        '[any]', 'commonName=optional', 'organizationName=optional', 'organizationalUnitName=optional',
        '[req]', 'distinguished_name=dn', '[dn]', '',
      ].join('\n'),
    );
  }

  make(o: MakeOpts): Made {
    const id = `c${++this.n}`;
    const p = (ext: string) => join(this.dir, `${id}.${ext}`);
    let keyPath = o.keyPath;
    if (!keyPath) {
      keyPath = p('key');
      const [alg, param] = (o.key ?? 'ec:prime256v1').split(':') as [string, string];
      openssl(alg === 'rsa'
        ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${param}`, '-out', keyPath]
        : ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${param}`, '-out', keyPath]);
    }
    writeFileSync(p('ext'), o.ext ?? (o.by ? LEAF_EXT : CA_EXT));
    openssl(['req', '-new', '-key', keyPath, '-subj', o.subj, '-out', p('csr'), '-config', join(this.dir, 'ca.cnf')]);
    openssl([
      'ca', '-batch', '-notext', '-config', join(this.dir, 'ca.cnf'), '-in', p('csr'), '-out', p('pem'), '-extfile', p('ext'),
      '-startdate', o.start ?? START, '-enddate', o.end ?? END, '-md', o.md ?? 'sha256',
      ...(o.by ? ['-cert', o.by.certPath, '-keyfile', o.by.keyPath] : ['-selfsign', '-keyfile', keyPath]),
    ]);
    const pem = readFileSync(p('pem'), 'utf8');
    return { cert: decodeInput({ pem }).certs[0]!, pem, keyPath, certPath: p('pem') };
  }
}
