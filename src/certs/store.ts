/**
 * The certificate store: one directory per entry under the store directory (mode 0700).
 *   <dir>/<id>/meta.json   name, kind, timestamps, the key's public-key hash (no secret)
 *   <dir>/<id>/certs.pem   the certificates, leaf first
 *   <dir>/<id>/key.pem     the private key, PKCS#8, mode 0600, optionally passphrase-encrypted
 *   <dir>/<id>/csr.pem     the CSR while the signed certificate has not come back
 * Private keys are never logged and never returned except by an explicit export.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeInput, readPrivateKey, spkiOf } from './decode.ts';
import { CertError } from './errors.ts';
import type { ParsedCert } from './inspect.ts';
import { writeAtomic } from '../files/atomic-write.ts';
import { byText } from '../model/text-order.ts';

export type EntryKind = 'certificate' | 'csr' | 'lab-ca';

export interface EntryMeta {
  id: string;
  name: string;
  kind: EntryKind;
  createdAt: string;
  updatedAt: string;
  hasKey: boolean;
  keyEncrypted: boolean;
  /** SHA-256 of the key's SubjectPublicKeyInfo: matches certificates to the key without reading it. */
  keySpki: string | null;
  keyType: string | null;
}

export interface Entry {
  meta: EntryMeta;
  certs: ParsedCert[];
  csrPem: string | null;
}

const ID = /^[a-f0-9]{16}$/;
const certsPem = (certs: ParsedCert[]) => certs.map((c) => c.x509.toString().trim()).join('\n') + '\n';
export const spkiHash = (k: KeyObject | ParsedCert): string =>
  createHash('sha256').update(spkiOf('x509' in k ? k.x509.publicKey : k)).digest('hex');

/** Orders certificates leaf first: the one matching the key, else a non-CA, then issuers in order. */
export function orderChain(certs: ParsedCert[], keySpki: string | null): ParsedCert[] {
  if (certs.length <= 1) return certs;
  const leaf = certs.find((c) => keySpki && spkiHash(c) === keySpki) ?? certs.find((c) => !c.info.isCa) ?? certs[0]!;
  const rest = certs.filter((c) => c !== leaf);
  const out = [leaf];
  let cur = leaf;
  while (rest.length) {
    const i = rest.findIndex((c) => c.info.subject.text === cur.info.issuer.text && c !== cur);
    if (i < 0) break;
    cur = rest.splice(i, 1)[0]!;
    out.push(cur);
  }
  return [...out, ...rest];
}

export class CertStore {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }

  private path(id: string, file?: string): string {
    if (!ID.test(id)) throw new CertError('not-found', `There is no stored certificate "${id}".`, 404);
    return file ? join(this.dir, id, file) : join(this.dir, id);
  }

  async list(): Promise<Entry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: Entry[] = [];
    for (const n of names.filter((x) => ID.test(x))) {
      try {
        out.push(await this.get(n));
      } catch {
        /* a half-written or damaged entry is skipped */
      }
    }
    return out.sort((a, b) => byText(a.meta.createdAt, b.meta.createdAt));
  }

  async get(id: string): Promise<Entry> {
    let meta: EntryMeta;
    try {
      meta = JSON.parse(await readFile(this.path(id, 'meta.json'), 'utf8')) as EntryMeta;
    } catch (err) {
      if (err instanceof CertError) throw err;
      throw new CertError('not-found', `There is no stored certificate "${id}".`, 404);
    }
    const pem = await readFile(this.path(id, 'certs.pem'), 'utf8').catch(() => '');
    const certs = pem.trim() ? decodeInput({ pem }).certs : [];
    const csrPem = await readFile(this.path(id, 'csr.pem'), 'utf8').catch(() => null);
    return { meta, certs, csrPem };
  }

  /** Writes a new entry atomically (a temporary directory renamed into place). */
  async add(e: { name: string; kind: EntryKind; certs: ParsedCert[]; key?: KeyObject; keyPassphrase?: string; csrPem?: string }): Promise<Entry> {
    await this.init();
    const id = randomBytes(8).toString('hex');
    const tmp = join(this.dir, `.tmp-${id}`);
    await mkdir(tmp, { mode: 0o700 });
    try {
      const now = new Date().toISOString();
      const keySpki = e.key ? spkiHash(e.key) : null;
      const meta: EntryMeta = {
        id,
        name: e.name,
        kind: e.kind,
        createdAt: now,
        updatedAt: now,
        hasKey: !!e.key,
        keyEncrypted: !!(e.key && e.keyPassphrase),
        keySpki,
        keyType: e.key ? (e.key.asymmetricKeyType ?? null) : null,
      };
      if (e.key) await writeFile(join(tmp, 'key.pem'), exportKey(e.key, e.keyPassphrase), { mode: 0o600 });
      await writeFile(join(tmp, 'certs.pem'), e.certs.length ? certsPem(orderChain(e.certs, keySpki)) : '', { mode: 0o600 });
      if (e.csrPem) await writeFile(join(tmp, 'csr.pem'), e.csrPem, { mode: 0o600 });
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2), { mode: 0o600 });
      await rename(tmp, join(this.dir, id));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return this.get(id);
  }

  /** Adds the signed certificate (and its chain) to an entry whose key it matches. */
  async attachCertificates(id: string, certs: ParsedCert[]): Promise<Entry> {
    const entry = await this.get(id);
    if (!entry.meta.keySpki) throw new CertError('no-key', 'This entry has no private key to match the certificate to.');
    if (!certs.some((c) => spkiHash(c) === entry.meta.keySpki)) {
      throw new CertError('key-mismatch', 'None of these certificates matches the private key of this entry (a certificate for a different key).');
    }
    const ordered = orderChain(certs, entry.meta.keySpki);
    await writeAtomic(this.path(id, 'certs.pem'), certsPem(ordered), { mode: 0o600 });
    await rm(this.path(id, 'csr.pem'), { force: true });
    const meta: EntryMeta = { ...entry.meta, kind: entry.meta.kind === 'csr' ? 'certificate' : entry.meta.kind, updatedAt: new Date().toISOString() };
    await writeFile(this.path(id, 'meta.json'), JSON.stringify(meta, null, 2), { mode: 0o600 });
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await rm(this.path(id), { recursive: true, force: true });
  }

  /**
   * The stored key, decrypted. Only for signing, TLS probes and explicit exports. `known` is the
   * entry when the caller has just read it (it is not read again).
   */
  async readKey(id: string, passphrase?: string, known?: Entry): Promise<KeyObject> {
    const entry = known ?? (await this.get(id));
    if (entry.meta.keyEncrypted && entry.meta.hasKey && !passphrase) throw new CertError('key-passphrase-required', `The key of "${entry.meta.name}" is encrypted: give its passphrase.`);
    return readPrivateKey(await this.readKeyFile(id, entry), entry.meta.keyEncrypted ? passphrase : undefined);
  }

  /** The key file as stored (encrypted when it was stored encrypted); `known` as for readKey. */
  async readKeyFile(id: string, known?: Entry): Promise<string> {
    const entry = known ?? (await this.get(id));
    if (!entry.meta.hasKey) throw new CertError('no-key', `"${entry.meta.name}" has no private key.`);
    try {
      return await readFile(this.path(id, 'key.pem'), 'utf8');
    } catch (err) {
      // Deleted between reading the entry and its key (a delete that came in meanwhile).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CertError('not-found', `There is no stored certificate "${id}".`, 404);
      throw err;
    }
  }

  async modes(id: string): Promise<{ dir: number; key: number | null }> {
    const d = await stat(this.dir);
    const k = await stat(this.path(id, 'key.pem')).catch(() => null);
    return { dir: d.mode & 0o777, key: k ? k.mode & 0o777 : null };
  }
}

export function exportKey(key: KeyObject, passphrase?: string): string {
  if (passphrase) return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export interface SslFile {
  file: string;
  certs: ParsedCert[];
  error?: string;
}

/** Home Assistant's /ssl, read-only: certificate files only (key files are never parsed). */
export async function readSslDir(dir: string): Promise<SslFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return [];
  }
  const out: SslFile[] = [];
  for (const file of names.slice(0, 200)) {
    if (!/\.(pem|crt|cer|der)$/i.test(file) || /key/i.test(file)) continue;
    const read = await readCertFile(join(dir, file));
    if (read && (read.certs.length || read.error)) out.push({ file, ...read });
  }
  return out;
}

/**
 * The certificates of one PEM or DER file someone else owns (Home Assistant's /ssl, an IRIS
 * SSL/TLS configuration's files), read-only. Certificate blocks only: a combined certificate
 * and key file keeps its key unread. Null when it is not a certificate file at all.
 */
export async function readCertFile(p: string): Promise<{ certs: ParsedCert[]; error?: string } | null> {
  try {
    const s = await stat(p);
    if (!s.isFile() || s.size > 1024 * 1024) return null;
    const buf = await readFile(p);
    const text = buf.toString('latin1');
    if (text.includes('PRIVATE KEY') && !text.includes('CERTIFICATE')) return null;
    const certs = text.includes('-----BEGIN')
      ? decodeInput({ pem: buf.toString('utf8').replace(/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '') }).certs
      : decodeInput({ der: buf }).certs;
    return { certs };
  } catch (err) {
    return { certs: [], error: (err as NodeJS.ErrnoException).code === 'EACCES' ? 'not readable by the bridge' : (err as Error).message };
  }
}
