/**
 * Chain building (leaf → root against a chosen CA bundle, naming the missing CA where it breaks),
 * host checks (SAN, then CN), key/certificate match and the lint the users' TLS guide asks for.
 */
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { decodeInput } from './decode.ts';
import type { CertInfo } from '../model/cert-info.ts';
import type { ParsedCert } from './inspect.ts';

export const EXPIRING_DAYS = 30;
const DAY = 86_400_000;

export type Status = 'valid' | 'expiring' | 'expired' | 'not-yet-valid' | 'untrusted-chain';

export interface ChainStep {
  subject: string;
  issuer: string;
  sha256: string;
  notAfter: string;
  isCa: boolean;
  selfSigned: boolean;
  /** Where this certificate came from. */
  source: 'leaf' | 'bundle' | 'system';
  problem?: string;
}

export interface ChainResult {
  steps: ChainStep[];
  /** Reached a self-signed root. */
  complete: boolean;
  /** Complete, every signature verifies, every CA is a CA, and the root is trusted. */
  trusted: boolean;
  /** Where the walk stopped, for a person. */
  breaksAt: string | null;
}

let systemRoots: ParsedCert[] | undefined;
export function systemRootCerts(): ParsedCert[] {
  if (!systemRoots) {
    systemRoots = [];
    for (const pem of rootCertificates) {
      try {
        systemRoots.push(...decodeInput({ pem }).certs);
      } catch {
        /* skip one Node cannot read */
      }
    }
  }
  return systemRoots;
}

const step = (c: ParsedCert, source: ChainStep['source']): ChainStep => ({
  subject: c.info.subject.text,
  issuer: c.info.issuer.text,
  sha256: c.info.fingerprints.sha256,
  notAfter: c.info.notAfter,
  isCa: c.info.isCa,
  selfSigned: c.info.selfSigned,
  source,
});

/**
 * Signature checks are what chain building costs, and a bundle of many certificates with the same
 * name and no key identifiers makes every pair need one: 499 such certificates once held the event
 * loop for 20 s per request. A request gets a budget of checks, shared by every chain it builds,
 * and each (child, parent) pair is checked once.
 */
export class ChainBudget {
  used = 0;
  private readonly memo = new Map<string, boolean>();

  constructor(readonly limit = 2000) {}

  get exhausted(): boolean {
    return this.used >= this.limit;
  }

  /** Whether `parent` signed `child`; undefined when the budget is spent. */
  signedBy(child: ParsedCert, parent: ParsedCert): boolean | undefined {
    // The names (and key identifiers, when both have them) first: that costs no signature check.
    if (!issuedByName(child, parent)) return false;
    const key = `${child.info.fingerprints.sha256}>${parent.info.fingerprints.sha256}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    if (this.exhausted) return undefined;
    this.used += 1;
    let ok: boolean;
    try {
      ok = child.x509.verify(parent.x509.publicKey);
    } catch {
      ok = false;
    }
    this.memo.set(key, ok);
    return ok;
  }
}

function issuedByName(child: ParsedCert, parent: ParsedCert): boolean {
  try {
    return child.x509.checkIssued(parent.x509);
  } catch {
    return false;
  }
}

/**
 * Walks from the leaf to a self-signed root through `bundle` (and, when asked, the system roots).
 * Every certificate of the bundle is trusted as an anchor when the walk reaches it as a root.
 */
export function buildChain(leaf: ParsedCert, bundle: ParsedCert[], opts: { useSystemRoots?: boolean; now?: Date; budget?: ChainBudget } = {}): ChainResult {
  const now = (opts.now ?? new Date()).getTime();
  const budget = opts.budget ?? new ChainBudget();
  const steps: ChainStep[] = [step(leaf, 'leaf')];
  const seen = new Set([leaf.info.fingerprints.sha256]);
  let current = leaf;
  let trusted = true;
  let breaksAt: string | null = null;
  const pools: [ParsedCert[], ChainStep['source']][] = [[bundle, 'bundle']];
  if (opts.useSystemRoots) pools.push([systemRootCerts(), 'system']);
  const validity = (c: ParsedCert, s: ChainStep) => {
    if (Date.parse(c.info.notAfter) < now) {
      s.problem = `Expired on ${c.info.notAfter.slice(0, 10)}.`;
      trusted = false;
    } else if (Date.parse(c.info.notBefore) > now) {
      s.problem = `Not valid before ${c.info.notBefore}.`;
      trusted = false;
    }
  };
  validity(leaf, steps[0]!);
  for (let depth = 0; depth < 10; depth++) {
    if (current.info.selfSigned) {
      const anchored = current !== leaf || bundle.some((b) => b.info.fingerprints.sha256 === leaf.info.fingerprints.sha256);
      if (!anchored) {
        trusted = false;
        breaksAt = `${current.info.subject.text} is self-signed and not in the CA bundle, so nothing vouches for it.`;
      }
      return { steps, complete: true, trusted: trusted && breaksAt === null, breaksAt };
    }
    let parent: ParsedCert | undefined;
    let source: ChainStep['source'] = 'bundle';
    let spent = false;
    search: for (const [pool, src] of pools) {
      for (const p of pool) {
        if (seen.has(p.info.fingerprints.sha256)) continue;
        const signed = budget.signedBy(current, p);
        if (signed === undefined) {
          spent = true;
          break search;
        }
        if (signed) {
          parent = p;
          source = src;
          break search;
        }
      }
    }
    if (spent) {
      return {
        steps,
        complete: false,
        trusted: false,
        breaksAt: `Not followed past "${current.info.subject.text}": the certificates hold too many candidates for its issuer "${current.info.issuer.text}" to check (more than ${budget.limit} signature checks). Remove the duplicates, or give the CA's certificate alone.`,
      };
    }
    if (!parent) {
      const byName = pools.flatMap(([p]) => p).find((p) => p.info.subject.text === current.info.issuer.text);
      breaksAt = byName
        ? `The CA "${current.info.issuer.text}" is in the bundle but its signature on "${current.info.subject.text}" does not verify (a different key with the same name).`
        : `The issuer "${current.info.issuer.text}"${current.info.authorityKeyId ? ` (key id ${current.info.authorityKeyId})` : ''} of "${current.info.subject.text}" is not in the CA bundle: add it.`;
      return { steps, complete: false, trusted: false, breaksAt };
    }
    const s = step(parent, source);
    if (!parent.info.isCa) {
      s.problem = 'Signs other certificates but is not marked as a CA (basic constraints).';
      trusted = false;
      breaksAt ??= `${parent.info.subject.text} is not a CA.`;
    }
    validity(parent, s);
    steps.push(s);
    seen.add(parent.info.fingerprints.sha256);
    current = parent;
  }
  return { steps, complete: false, trusted: false, breaksAt: 'The chain is longer than 10 certificates.' };
}

function normIp(ip: string): string {
  if (isIP(ip) === 6) {
    // Expand to 8 groups for comparison.
    const [head, tail] = ip.toLowerCase().split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
    const fill = tail !== undefined ? Array(8 - h.length - t.length).fill('0') : [];
    return [...h, ...fill, ...t].map((g) => parseInt(g, 16).toString(16)).join(':');
  }
  return ip;
}

function dnsMatch(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const hh = host.toLowerCase().replace(/\.$/, '');
  if (p === hh) return true;
  // A wildcard stands for exactly one whole left-most label.
  if (p.startsWith('*.') && p.split('.').length >= 3) {
    const rest = p.slice(2);
    const i = hh.indexOf('.');
    return i > 0 && hh.slice(i + 1) === rest;
  }
  return false;
}

export interface HostCheck {
  host: string;
  matches: boolean;
  matchedBy: 'san-dns' | 'san-ip' | 'cn' | null;
  /** What the host was compared against. */
  checked: string[];
  note?: string;
}

/** The guide's rule (seeds §3.12): the address must be in the SAN list, or be the subject CN. */
export function checkHost(info: CertInfo, hostIn: string): HostCheck {
  const host = hostIn.trim().replace(/^\[|\]$/g, '');
  const cn = info.subject.parts.filter((p) => p.type === 'CN').map((p) => p.value);
  if (isIP(host)) {
    const ip = normIp(host);
    if (info.san.ip.some((x) => normIp(x) === ip)) return { host, matches: true, matchedBy: 'san-ip', checked: info.san.ip };
    if (cn.includes(host)) return { host, matches: true, matchedBy: 'cn', checked: [...info.san.ip, ...cn], note: 'Matched the common name only: many clients (and IRIS with host verification) need the IP in the SAN list.' };
    return { host, matches: false, matchedBy: null, checked: [...info.san.ip, ...cn] };
  }
  if (info.san.dns.some((d) => dnsMatch(d, host))) return { host, matches: true, matchedBy: 'san-dns', checked: info.san.dns };
  if (cn.some((c) => dnsMatch(c, host))) {
    return {
      host,
      matches: true,
      matchedBy: 'cn',
      checked: [...info.san.dns, ...cn],
      note: info.san.dns.length ? 'The name is only in the CN while the certificate has DNS SANs: modern clients ignore the CN then.' : 'Matched the common name: modern clients need a DNS SAN.',
    };
  }
  return { host, matches: false, matchedBy: null, checked: [...info.san.dns, ...cn] };
}

export interface LintItem {
  level: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

export const SERVER_AUTH_ONLY_WARNING =
  'This certificate has serverAuth but not clientAuth: most CAs sign with serverAuth only. Mutual TLS needs both serverAuth and clientAuth (the users\' TLS guide); ask your CA to reissue it with both.';

export function lintCert(info: CertInfo, opts: { purpose?: 'mtls' | 'server' | 'client'; now?: Date; leaf?: boolean } = {}): LintItem[] {
  const out: LintItem[] = [];
  const now = (opts.now ?? new Date()).getTime();
  const leaf = opts.leaf ?? !info.isCa;
  const na = Date.parse(info.notAfter);
  const nb = Date.parse(info.notBefore);
  const days = Math.floor((na - now) / DAY);
  if (na < now) out.push({ level: 'error', code: 'expired', message: `Expired on ${info.notAfter.slice(0, 10)}: TLS connections with it fail.` });
  else if (nb > now) out.push({ level: 'error', code: 'not-yet-valid', message: `Not valid before ${info.notBefore}: TLS connections with it fail until then.` });
  else if (days < EXPIRING_DAYS) out.push({ level: 'warning', code: 'expiring', message: `Expires in ${days} day${days === 1 ? '' : 's'} (${info.notAfter.slice(0, 10)}): plan its replacement now.` });
  const pk = info.publicKey;
  if (pk.algorithm === 'RSA' && (pk.size ?? 0) < 2048) out.push({ level: 'error', code: 'weak-key', message: `RSA key of ${pk.size} bits: use at least 2048.` });
  if (pk.algorithm === 'EC' && (pk.size ?? 0) < 256) out.push({ level: 'error', code: 'weak-key', message: `EC key of ${pk.size} bits: use at least P-256.` });
  if (/sha1|md5/i.test(info.signatureAlgorithm) && !info.selfSigned) {
    out.push({ level: 'error', code: 'weak-signature', message: `Signed with ${info.signatureAlgorithm}: SHA-1 and MD5 signatures are refused by current TLS stacks.` });
  }
  if (leaf) {
    if (info.san.dns.length + info.san.ip.length === 0) out.push({ level: 'warning', code: 'missing-san', message: 'No subject alternative names: host verification needs the DNS name or IP in the SAN list.' });
    const eku = info.extendedKeyUsage?.values;
    const purpose = opts.purpose ?? 'mtls';
    if (eku && !eku.includes('anyExtendedKeyUsage')) {
      const srv = eku.includes('serverAuth');
      const cli = eku.includes('clientAuth');
      if (purpose === 'mtls' && !(srv && cli)) {
        out.push({ level: 'warning', code: 'mtls-eku', message: srv && !cli ? SERVER_AUTH_ONLY_WARNING : `Mutual TLS needs both serverAuth and clientAuth; this certificate has ${eku.join(', ') || 'neither'}.` });
      }
      if (purpose === 'server' && !srv) out.push({ level: 'error', code: 'no-server-auth', message: 'No serverAuth: clients refuse it as a server certificate.' });
      if (purpose === 'client' && !cli) out.push({ level: 'error', code: 'no-client-auth', message: 'No clientAuth: servers that check it refuse it as a client certificate.' });
    } else if (!eku) {
      out.push({ level: 'info', code: 'no-eku', message: 'No extended key usage: any purpose is allowed.' });
    }
    if (info.isCa) out.push({ level: 'info', code: 'leaf-is-ca', message: 'This certificate is a CA.' });
  }
  return out;
}

/** Bundle lint (seeds §3.23): a CA bundle needs intermediates and roots only. */
export function lintBundle(bundle: ParsedCert[]): LintItem[] {
  return bundle
    .filter((c) => !c.info.isCa)
    .map((c) => ({ level: 'warning' as const, code: 'leaf-in-bundle', message: `"${c.info.subject.text}" in the CA bundle is not a CA; a bundle needs only intermediate and root CAs.` }));
}

export function statusOf(info: CertInfo, chainTrusted: boolean, now = new Date()): Status {
  const t = now.getTime();
  if (Date.parse(info.notAfter) < t) return 'expired';
  if (Date.parse(info.notBefore) > t) return 'not-yet-valid';
  if (!chainTrusted) return 'untrusted-chain';
  if (Date.parse(info.notAfter) - t < EXPIRING_DAYS * DAY) return 'expiring';
  return 'valid';
}
