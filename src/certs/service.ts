/**
 * The certificate manager (DESIGN.md §8): one store, Home Assistant's /ssl and the files IRIS's
 * SSL/TLS configurations name, read in worker threads. Bad input is a CertError (a 4xx with a
 * message) and stores nothing; private keys leave only through an explicit export.
 */
import type { KeyObject } from 'node:crypto';
import type { IrisClient } from '../iris/client.ts';
import { CertWorkers, type CertWorkersOptions } from './cert-workers.ts';
import { decodeInput, keyMatchesCert, type Decoded } from './decode.ts';
import { CertError } from './errors.ts';
import { caBundle, toPem, toPkcs12 } from './export.ts';
import { createLabCa, generateCsr, issueFromCa, readCsr, type IssueInput } from './generate.ts';
import type { ParsedCert } from './inspect.ts';
import { CertInventory, isReadOnlyId, LAB_CA_NOTE } from './inventory.ts';
import { probeTls } from './probe.ts';
import { CERT_FILE_LIMIT, type CsrRequest, type ExportRequest, type ImportRequest, type IssueRequest, type LabCaRequest, type Material, type ProbeRequest, type VerifyRequest } from './requests.ts';
import { CertStore, orderChain, spkiHash } from './store.ts';
import { checkHost, lintBundle, lintCert, SERVER_AUTH_ONLY_WARNING, statusOf } from './verify.ts';

export interface CertServiceOptions {
  /** The certificate store (add-on: /data/certs); without it what needs the store is a 503. */
  store?: CertStore;
  /** Home Assistant's certificates, shown read-only. Default /ssl. */
  haSslDir?: string;
  /** IRIS instances whose SSL/TLS configuration files are shown read-only. */
  irisClients?: { id: string; iris: IrisClient }[];
  /** The certificate worker threads (deadline, queue); tests shorten the deadline. */
  workers?: CertWorkersOptions;
}

/** A file to hand over: its name, type and bytes. */
export interface CertFile {
  name: string;
  type: string;
  body: string | Buffer;
}

/** What an SSL/TLS configuration is built from: PEM text, and what is wrong with the dates. */
export interface SslMaterial {
  certPem: string;
  keyPem: string | null;
  /** The stored key's passphrase, for IRIS's PrivateKeyPassword (only when the key is encrypted). */
  keyPassword?: string;
  caPem: string;
  /** Expired or not-yet-valid certificates, in words (empty: all valid now). */
  problems: string[];
}

/** Expired or not yet valid, in words; null when valid now. */
export function validityProblem(c: ParsedCert, now = Date.now()): string | null {
  if (Date.parse(c.info.notAfter) < now) return `"${c.info.subject.text}" expired on ${c.info.notAfter}`;
  if (Date.parse(c.info.notBefore) > now) return `"${c.info.subject.text}" is not valid before ${c.info.notBefore}`;
  return null;
}

function ekuWarnings(certs: ParsedCert[]): string[] {
  const eku = certs[0]?.info.extendedKeyUsage?.values;
  return eku && eku.includes('serverAuth') && !eku.includes('clientAuth') ? [SERVER_AUTH_ONLY_WARNING] : [];
}

function fromBase64(s: string | undefined, what: string): Buffer | undefined {
  if (s === undefined) return undefined;
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 4 !== 0) throw new CertError('bad-base64', `${what} is not valid base64 (truncated?).`);
  const b = Buffer.from(clean, 'base64');
  if (b.length > CERT_FILE_LIMIT) throw new CertError('too-large', `The file is larger than ${CERT_FILE_LIMIT / 1024} KiB.`, 413);
  return b;
}

export class CertService extends CertInventory {
  constructor(options: CertServiceOptions = {}) {
    super(options.store ?? null, options.haSslDir ?? '/ssl', options.irisClients ?? [], new CertWorkers(options.workers));
  }

  /** Creates the store's directory (0700). */
  async init(): Promise<void> {
    await this.store?.init();
  }

  close(): Promise<void> {
    return this.workers.close();
  }

  /** Reads an upload in a certificate worker: its cost is the uploader's choice (KDF iterations, chains). */
  private decode(m: Material): Promise<Decoded> {
    if (m.pem !== undefined && Buffer.byteLength(m.pem) > CERT_FILE_LIMIT) throw new CertError('too-large', `The file is larger than ${CERT_FILE_LIMIT / 1024} KiB.`, 413);
    return this.workers.decode({ pem: m.pem, der: fromBase64(m.derBase64, 'derBase64'), pkcs12: fromBase64(m.pkcs12Base64, 'pkcs12Base64'), password: m.password, keyPassphrase: m.keyPassphrase });
  }

  /** Stores an upload; a certificate without a key that fits a CSR made here joins that key ("attached"). */
  async import(body: ImportRequest) {
    const store = this.need();
    const d = await this.decode(body);
    if (d.keys.length > 1) throw new CertError('too-many-keys', 'The upload holds more than one private key: import one certificate with its key at a time.');
    const key = d.keys[0];
    if (key && d.certs.length === 0) throw new CertError('key-without-certificate', 'The upload holds a private key but no certificate: import the key together with its certificate.');
    if (d.certs.length === 0) throw new CertError('no-certificate', 'No certificate was found in the upload.');
    if (key && !d.certs.some((c) => keyMatchesCert(key, c))) throw new CertError('key-mismatch', 'The private key does not match any certificate in the upload.');
    const warnings = ekuWarnings(orderChain(d.certs, key ? spkiHash(key) : null));
    if (!key) {
      const pending = (await store.list()).filter((e) => e.meta.hasKey && e.certs.length === 0);
      const target = pending.find((e) => d.certs.some((c) => spkiHash(c) === e.meta.keySpki));
      if (target) {
        await store.attachCertificates(target.meta.id, d.certs);
        return { attachedTo: target.meta.name, certCount: d.certs.length, withKey: false, entry: { ...(await this.detail(target.meta.id)), matchedToKey: true, warnings, notes: d.notes } };
      }
    }
    const entry = await store.add({ name: body.name, kind: 'certificate', certs: d.certs, key, keyPassphrase: key ? (body.storePassphrase ?? body.keyPassphrase) : undefined });
    return { attachedTo: null, certCount: d.certs.length, withKey: !!key, entry: { ...(await this.detail(entry.meta.id)), matchedToKey: !!key, warnings, notes: d.notes } };
  }

  /** Every certificate and key of an upload, with status and lint; stores nothing. */
  async inspect(body: Material) {
    const d = await this.decode(body);
    const cas = await this.heldCas();
    // Status: dates, and whether the chain completes from the upload, the CAs held here and the system roots.
    const chains = await this.workers.chains(d.certs.map((c) => ({ leaf: c, bundle: [...d.certs.filter((x) => x !== c), ...cas], useSystemRoots: true })));
    return {
      certificates: d.certs.map((c, i) => ({ ...c.info, status: statusOf(c.info, chains[i]!.trusted), lint: lintCert(c.info) })),
      keys: d.keys.map((k) => ({
        type: (k.asymmetricKeyType ?? 'unknown').toUpperCase(),
        size: k.asymmetricKeyDetails?.modulusLength ?? null,
        curve: k.asymmetricKeyDetails?.namedCurve ?? null,
        matches: d.certs.map((c, i) => (keyMatchesCert(k, c) ? i : -1)).filter((i) => i >= 0),
      })),
      notes: d.notes,
    };
  }

  async createCsr(body: CsrRequest) {
    const store = this.need();
    const { key, csrPem } = await generateCsr({ subject: body.subject, altNames: body.altNames, usage: body.usage, key: body.key });
    const entry = await store.add({ name: body.name, kind: 'csr', certs: [], key, keyPassphrase: body.storePassphrase, csrPem });
    return { id: entry.meta.id, name: body.name, csrPem, keyEncrypted: entry.meta.keyEncrypted };
  }

  async verify(body: VerifyRequest) {
    const c = body.certificate;
    const given = [c.id, c.pem, c.derBase64].filter((x) => x !== undefined).length;
    if (given !== 1) throw new CertError('invalid-request', 'Give the certificate as exactly one of "id", "pem" or "derBase64".');
    const certs = c.id ? await this.certsOf(c.id) : (await this.decode({ pem: c.pem, derBase64: c.derBase64 })).certs;
    if (!certs.length) throw new CertError('no-certificate', 'No certificate to verify.');
    const leaf = certs[0]!;
    let bundle: ParsedCert[] = [];
    if (body.caBundle) {
      if ((body.caBundle.id === undefined) === (body.caBundle.pem === undefined)) throw new CertError('invalid-request', 'Give the CA bundle as "id" or "pem".');
      bundle = body.caBundle.id ? await this.certsOf(body.caBundle.id) : (await this.decode({ pem: body.caBundle.pem })).certs;
    }
    const chain = (await this.workers.chains([{ leaf, bundle: [...certs.slice(1), ...bundle], useSystemRoots: body.useSystemRoots }]))[0]!;
    let keyMatch: boolean | null = null;
    if (body.key) {
      const d = await this.workers.decode({ pem: body.key.pem, keyPassphrase: body.key.passphrase });
      const k = d.keys[0];
      if (!k) throw new CertError('bad-key', 'No private key was found in "key.pem".');
      keyMatch = keyMatchesCert(k, leaf);
    } else if (c.id && !isReadOnlyId(c.id)) {
      const e = await this.need().get(c.id);
      if (e.meta.keySpki) keyMatch = spkiHash(leaf) === e.meta.keySpki;
    }
    return {
      leaf: leaf.info,
      chain,
      host: body.host ? checkHost(leaf.info, body.host) : null,
      keyMatch,
      lint: [...lintCert(leaf.info, { purpose: body.purpose }), ...lintBundle(bundle)],
      status: statusOf(leaf.info, chain.trusted),
    };
  }

  async probe(body: ProbeRequest) {
    let clientCert: { certPem: string; key: KeyObject } | undefined;
    if (body.clientCertId) {
      const store = this.need();
      const e = await store.get(body.clientCertId);
      const certs = orderChain(e.certs, e.meta.keySpki);
      if (!certs.length) throw new CertError('no-certificate', `"${e.meta.name}" has no certificate yet.`);
      clientCert = { certPem: toPem(certs), key: await store.readKey(body.clientCertId, body.keyPassphrase, e) };
    }
    const caPem = body.caId ? toPem(await this.certsOf(body.caId)) : body.caPem;
    return probeTls({ host: body.host, port: body.port, servername: body.servername, caPem, clientCert });
  }

  async createLabCa(body: LabCaRequest) {
    const store = this.need();
    const ca = await createLabCa({ commonName: body.commonName, organization: body.organization, days: body.days, key: body.key });
    const certs = decodeInput({ der: ca.certDer }).certs;
    const entry = await store.add({ name: body.name, kind: 'lab-ca', certs, key: ca.key, keyPassphrase: body.storePassphrase });
    return { ...(await this.detail(entry.meta.id)), note: LAB_CA_NOTE };
  }

  /** A certificate from a lab CA made here; a CSR's certificate joins the CSR's key when it is stored here. */
  async issue(body: IssueRequest) {
    const store = this.need();
    const caEntry = await store.get(body.caId);
    if (caEntry.meta.kind !== 'lab-ca') throw new CertError('not-a-lab-ca', `"${caEntry.meta.name}" is not a lab CA made here.`);
    const caCert = caEntry.certs[0]!;
    const caKey = await store.readKey(body.caId, body.caPassphrase, caEntry);
    const input: IssueInput = body.csrPem
      ? { ...readCsr(body.csrPem), days: body.days, key: body.key }
      : { subject: body.subject, altNames: body.altNames, usage: body.usage, days: body.days, key: body.key };
    const issued = await issueFromCa({ key: caKey, certDer: caCert.der }, input);
    const certs = [...decodeInput({ der: issued.certDer }).certs, caCert];
    let id: string;
    if (!issued.key) {
      const pending = (await store.list()).find((e) => e.meta.hasKey && e.certs.length === 0 && e.meta.keySpki === spkiHash(certs[0]!));
      id = pending ? (await store.attachCertificates(pending.meta.id, certs)).meta.id : (await store.add({ name: body.name, kind: 'certificate', certs })).meta.id;
    } else {
      id = (await store.add({ name: body.name, kind: 'certificate', certs, key: issued.key, keyPassphrase: body.storePassphrase })).meta.id;
    }
    return { entry: { ...(await this.detail(id)), note: LAB_CA_NOTE }, caName: caEntry.meta.name };
  }

  /** Deletes a stored entry and its key; returns its name. Home Assistant's and IRIS's files are not ours to delete. */
  async delete(id: string): Promise<string> {
    if (id.startsWith('ssl-')) throw new CertError('read-only', "Home Assistant's /ssl certificates are shown read-only; IRIS Edge does not delete them.", 409);
    if (id.startsWith('iris-')) throw new CertError('read-only', 'Certificates of IRIS SSL/TLS configurations are shown read-only; change the configuration instead.', 409);
    const store = this.need();
    const e = await store.get(id);
    await store.delete(id);
    return e.meta.name;
  }

  /** The signed certificate for a CSR's key. */
  async attach(id: string, body: Material) {
    const d = await this.decode(body);
    if (!d.certs.length) throw new CertError('no-certificate', 'No certificate was found in the upload.');
    const e = await this.need().attachCertificates(id, d.certs);
    return { name: e.meta.name, entry: { ...(await this.detail(id)), warnings: ekuWarnings(orderChain(d.certs, e.meta.keySpki)) } };
  }

  /** The certificates of an entry as a file, without any key. */
  async exportCertificates(id: string, format: 'pem' | 'der' | 'bundle'): Promise<CertFile> {
    const certs = await this.certsOf(id);
    if (!certs.length) throw new CertError('no-certificate', 'This entry has no certificate yet.');
    if (format === 'der') return { name: `${id}.der`, type: 'application/pkix-cert', body: certs[0]!.der };
    if (format === 'bundle') return { name: `${id}-ca-bundle.pem`, type: 'application/x-pem-file', body: caBundle(certs) };
    return { name: `${id}.pem`, type: 'application/x-pem-file', body: toPem(certs) };
  }

  /** The key file, or a PKCS#12 with the key: the only ways a private key leaves the store. */
  async exportWithKey(id: string, body: ExportRequest): Promise<CertFile & { entryName: string; withKey: boolean }> {
    const store = this.need();
    const e = await store.get(id);
    if (body.format === 'key') {
      return { name: `${id}-key.pem`, type: 'application/x-pem-file', body: await store.readKeyFile(id, e), entryName: e.meta.name, withKey: true };
    }
    if (!body.password) throw new CertError('password-required', 'A PKCS#12 export needs a "password" in the body.');
    const certs = orderChain(e.certs, e.meta.keySpki);
    if (!certs.length) throw new CertError('no-certificate', 'This entry has no certificate yet.');
    const key = e.meta.hasKey ? await store.readKey(id, body.keyPassphrase, e) : null;
    return { name: `${id}.p12`, type: 'application/x-pkcs12', body: toPkcs12(certs, key, body.password, e.meta.name), entryName: e.meta.name, withKey: !!key };
  }

  /**
   * The PEM files of an IRIS SSL/TLS configuration from stored entries: a certificate with its key
   * (the passphrase is checked here), and the CA bundle. Dates are reported, not refused.
   */
  async sslMaterial(req: { type: 'client' | 'server'; certificateId?: string | null; caCertificateIds: string[]; keyPassphrase?: string }): Promise<SslMaterial> {
    const store = this.need();
    const problems: string[] = [];
    let certPem = '';
    let keyPem: string | null = null;
    let keyPassword: string | undefined;
    if (req.certificateId) {
      const entry = await store.get(req.certificateId);
      const leaf = entry.certs[0];
      if (!leaf) throw new CertError('no-certificate', `"${entry.meta.name}" holds no certificate yet (a CSR waiting for its signed certificate).`);
      if (!entry.meta.hasKey) {
        throw new CertError('no-key', `"${entry.meta.name}" has no private key: a ${req.type} configuration needs the key of its certificate. To trust this certificate instead, choose it as a CA.`);
      }
      if (entry.meta.keySpki !== spkiHash(leaf)) throw new CertError('key-mismatch', `The stored key of "${entry.meta.name}" does not match its certificate.`);
      // Decrypting proves the passphrase (CertError 400 otherwise); the key file is written as stored.
      await store.readKey(entry.meta.id, req.keyPassphrase, entry);
      const v = validityProblem(leaf);
      if (v) problems.push(v);
      certPem = toPem(entry.certs);
      keyPem = await store.readKeyFile(entry.meta.id, entry);
      keyPassword = entry.meta.keyEncrypted ? req.keyPassphrase : undefined;
    } else if (req.type === 'server') {
      throw new CertError('certificate-required', 'A server configuration needs a stored certificate with its private key.');
    }
    const caCerts: ParsedCert[] = [];
    for (const id of req.caCertificateIds) {
      const e = await store.get(id);
      if (e.certs.length === 0) throw new CertError('no-certificate', `"${e.meta.name}" holds no certificate to trust.`);
      for (const c of e.certs) {
        const v = validityProblem(c);
        if (v) problems.push(v);
        caCerts.push(c);
      }
    }
    return { certPem, keyPem, ...(keyPassword ? { keyPassword } : {}), caPem: caCerts.length ? toPem(caCerts) : '', problems };
  }
}
