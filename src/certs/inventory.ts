/** The certificate manager's inventory and the detail of one entry (DESIGN.md §8). */
import { createHash } from 'node:crypto';
import type { IrisClient } from '../iris/client.ts';
import type { CertInfo } from '../model/cert-info.ts';
import type { CertWorkers } from './cert-workers.ts';
import { CertError } from './errors.ts';
import { daysLeft } from './expiry.ts';
import type { ParsedCert } from './inspect.ts';
import { irisCertFiles, type IrisCertFile } from './iris-inventory.ts';
import { orderChain, readSslDir, type CertStore, type Entry } from './store.ts';
import { lintCert, statusOf, type LintItem } from './verify.ts';

export const LAB_CA_NOTE = 'Lab CA: for private networks and tests only. Nothing outside your lab trusts it, and whoever holds its key can impersonate any host to the machines that trust it.';

const daysLeftOf = (c: CertInfo) => daysLeft(c.notAfter, new Date());

interface ReadOnlyFile {
  id: string;
  name: string;
  path: string;
  source: 'ha-ssl' | 'iris-ssl';
  certs: ParsedCert[];
  error?: string;
}

/** Ids of certificates IRIS Edge shows but does not own (see readOnlyFiles). */
export const isReadOnlyId = (id: string) => id.startsWith('ssl-') || id.startsWith('iris-');

/**
 * What the certificate manager shows: its own store's entries and, read-only, Home Assistant's
 * /ssl and the files IRIS's SSL/TLS configurations name, each with status, chain and lint.
 */
export class CertInventory {
  constructor(
    readonly store: CertStore | null,
    readonly sslDir: string,
    private readonly irisClients: { id: string; iris: IrisClient }[],
    readonly workers: CertWorkers,
  ) {}

  irisFiles(): Promise<IrisCertFile[]> {
    return irisCertFiles(this.irisClients);
  }

  /** Certificates shown but not owned: Home Assistant's /ssl and IRIS's SSL/TLS configuration files. */
  async readOnlyFiles(): Promise<ReadOnlyFile[]> {
    const ssl = (await this.sslFiles()).map((f) => ({ ...f, name: f.file, path: `${this.sslDir}/${f.file}`, source: 'ha-ssl' as const }));
    const iris = (await this.irisFiles()).map((f) => ({ ...f, source: 'iris-ssl' as const }));
    return [...ssl, ...iris];
  }

  async readOnlyFile(id: string): Promise<ReadOnlyFile> {
    const f = (await this.readOnlyFiles()).find((x) => x.id === id);
    if (!f) throw new CertError('not-found', `There is no certificate "${id}" in ${this.sslDir} or the IRIS SSL/TLS configurations.`, 404);
    return f;
  }

  need(): CertStore {
    if (!this.store) throw new CertError('store-unavailable', 'No certificate store is configured for this bridge.', 503);
    return this.store;
  }

  /** CA certificates IRIS Edge holds: the anchors for the inventory's chain status. */
  async heldCas(entries?: Entry[]): Promise<ParsedCert[]> {
    const held = entries ?? (this.store ? await this.store.list() : []);
    return held.flatMap((e) => e.certs.filter((c) => c.info.isCa));
  }

  async sslFiles() {
    return (await readSslDir(this.sslDir)).map((f) => ({ ...f, id: `ssl-${createHash('sha256').update(f.file).digest('hex').slice(0, 16)}` }));
  }

  /** Status, chain and lint of each item; the chains are built in a worker under one budget. */
  async describeAll(items: { certs: ParsedCert[]; keySpki: string | null }[], cas: ParsedCert[]) {
    const ordered = items.map((i) => orderChain(i.certs, i.keySpki));
    const withLeaf = ordered.filter((o) => o.length > 0);
    const built = await this.workers.chains(withLeaf.map((o) => ({ leaf: o[0]!, bundle: [...o.slice(1), ...cas], useSystemRoots: true })));
    const chainOf = new Map(withLeaf.map((o, i) => [o, built[i]!]));
    return ordered.map((o) => {
      const leaf = o[0];
      const chain = chainOf.get(o);
      if (!leaf || !chain) return { status: 'no-certificate' as const, chain: null, lint: [] as LintItem[], leaf: null, certs: [] as CertInfo[] };
      const lint = [...lintCert(leaf.info), ...o.slice(1).flatMap((c) => lintCert(c.info, { leaf: false }).map((l) => ({ ...l, message: `${c.info.subject.text}: ${l.message}` })))];
      return { status: statusOf(leaf.info, chain.trusted), chain, lint, leaf: leaf.info, certs: o.map((c) => c.info) };
    });
  }

  summary(e: Entry, d: Awaited<ReturnType<CertInventory['describeAll']>>[number]) {
    return {
      id: e.meta.id,
      name: e.meta.name,
      source: 'store' as const,
      kind: e.meta.kind,
      readOnly: false,
      status: e.meta.kind === 'csr' && !d.leaf ? ('awaiting-certificate' as const) : d.status,
      subject: d.leaf?.subject.text ?? null,
      issuer: d.leaf?.issuer.text ?? null,
      notAfter: d.leaf?.notAfter ?? null,
      daysLeft: d.leaf ? daysLeftOf(d.leaf) : null,
      certCount: e.certs.length,
      hasKey: e.meta.hasKey,
      keyEncrypted: e.meta.keyEncrypted,
    };
  }

  async detail(id: string) {
    const cas = await this.heldCas();
    if (isReadOnlyId(id)) {
      const f = await this.readOnlyFile(id);
      const d = (await this.describeAll([{ certs: f.certs, keySpki: null }], cas))[0]!;
      return { id, name: f.name, source: f.source, kind: 'certificate', readOnly: true, path: f.path, hasKey: false, keyEncrypted: false, csrPem: null, ...d };
    }
    const e = await this.need().get(id);
    const d = (await this.describeAll([{ certs: e.certs, keySpki: e.meta.keySpki }], cas))[0]!;
    return {
      id,
      name: e.meta.name,
      source: 'store' as const,
      kind: e.meta.kind,
      readOnly: false,
      hasKey: e.meta.hasKey,
      keyEncrypted: e.meta.keyEncrypted,
      keyType: e.meta.keyType,
      csrPem: e.csrPem,
      ...d,
      status: e.meta.kind === 'csr' && !d.leaf ? 'awaiting-certificate' : d.status,
      note: e.meta.kind === 'lab-ca' ? LAB_CA_NOTE : undefined,
    };
  }

  async list() {
    // One read of the store serves the list and its anchors.
    const entries = this.store ? await this.store.list() : [];
    const cas = await this.heldCas(entries);
    const files = await this.readOnlyFiles();
    // One worker job, one budget of signature checks, for the whole inventory.
    const described = await this.describeAll([...entries.map((e) => ({ certs: e.certs, keySpki: e.meta.keySpki })), ...files.map((f) => ({ certs: f.certs, keySpki: null }))], cas);
    const stored = entries.map((e, i) => this.summary(e, described[i]!));
    const readOnly = files.map((f, i) => {
      const d = described[entries.length + i]!;
      return {
        id: f.id,
        name: f.name,
        source: f.source,
        kind: 'certificate' as const,
        readOnly: true,
        status: f.error ? ('unreadable' as const) : d.status,
        error: f.error,
        subject: d.leaf?.subject.text ?? null,
        issuer: d.leaf?.issuer.text ?? null,
        notAfter: d.leaf?.notAfter ?? null,
        daysLeft: d.leaf ? daysLeftOf(d.leaf) : null,
        certCount: f.certs.length,
        hasKey: false,
        keyEncrypted: false,
      };
    });
    return { storeAvailable: !!this.store, sslDir: this.sslDir, certificates: [...stored, ...readOnly] };
  }

  async certsOf(id: string): Promise<ParsedCert[]> {
    if (isReadOnlyId(id)) return (await this.readOnlyFile(id)).certs;
    const e = await this.need().get(id);
    return orderChain(e.certs, e.meta.keySpki);
  }
}
