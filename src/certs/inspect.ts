/**
 * Every field the users' TLS guide explains (seeds §3.1–3.11): serial, subject/issuer parts,
 * validity, SAN (DNS/IP), key usage, EKU, basic constraints, SKI/AKI, public key, signature
 * algorithm, fingerprints, self-signed.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { ASN1, bytes, children, EKU_NAMES, intHex, isContext, isUniversal, KEY_USAGE_BITS, OID_NAMES, oid, parseDer, SIG_ALGS, text, time, type Node } from './asn1.ts';
import type { CertInfo, DnPart } from '../model/cert-info.ts';
import { CertError } from './errors.ts';


export interface ParsedCert {
  der: Buffer;
  x509: X509Certificate;
  info: CertInfo;
}

const hexColons = (b: Buffer): string => (b.toString('hex').toUpperCase().match(/../g) ?? []).join(':');

function dn(n: Node | undefined): { text: string; parts: DnPart[] } {
  if (!isUniversal(n, ASN1.T.SEQUENCE)) throw new CertError('bad-certificate', 'The certificate is damaged: its subject or issuer name cannot be read.');
  const parts: DnPart[] = [];
  for (const rdn of children(n)) {
    for (const atv of children(rdn)) {
      const [o, v] = children(atv);
      if (!o || !v) throw new CertError('bad-certificate', 'The certificate is damaged: part of its subject or issuer name cannot be read.');
      const id = oid(o);
      parts.push({ type: OID_NAMES[id] ?? id, oid: id, value: text(v) });
    }
  }
  return { text: parts.map((p) => `${p.type}=${p.value}`).join(', '), parts };
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    // Compress the longest run of zero groups, as RFC 5952 says.
    let best = -1, bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== '0') { i++; continue; }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
      i = j;
    }
    if (best < 0) return groups.join(':');
    return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  }
  return `<${b.length}-byte address>`;
}

/** Parses one DER certificate; throws CertError with a clear reason on anything malformed. */
export function parseCertificate(der: Buffer): ParsedCert {
  try {
    return parseCertificateUnchecked(der);
  } catch (err) {
    if (err instanceof CertError) throw err;
    throw new CertError('bad-certificate', 'The certificate is damaged and cannot be read.');
  }
}

function parseCertificateUnchecked(der: Buffer): ParsedCert {
  const root = parseDer(der);
  const [tbs, sigAlg, sig] = children(root);
  if (!isUniversal(root, ASN1.T.SEQUENCE) || !isUniversal(tbs, ASN1.T.SEQUENCE) || !isUniversal(sigAlg, ASN1.T.SEQUENCE) || !isUniversal(sig, ASN1.T.BITSTRING)) {
    throw new CertError('bad-certificate', 'This is binary (DER) data, but not a certificate.');
  }
  let f = children(tbs);
  let version = 1;
  if (isContext(f[0], 0)) {
    const v = children(f[0])[0];
    version = (v ? parseInt(intHex(v) || '0', 16) : 0) + 1;
    f = f.slice(1);
  }
  const [serialN, , issuerN, validityN, subjectN, spkiN, ...rest] = f;
  const serial = intHex(serialN);
  const issuer = dn(issuerN);
  const subject = dn(subjectN);
  const [nb, na] = children(validityN);
  const notBefore = time(nb);
  const notAfter = time(na);
  if (!isUniversal(spkiN, ASN1.T.SEQUENCE)) throw new CertError('bad-certificate', 'The certificate has no subject public key.');

  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw new CertError('bad-certificate', 'The certificate is damaged and cannot be read (its signature or key part).');
  }

  const info: CertInfo = {
    serial,
    version,
    subject,
    issuer,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    san: { dns: [], ip: [], email: [], uri: [] },
    keyUsage: null,
    extendedKeyUsage: null,
    basicConstraints: null,
    subjectKeyId: null,
    authorityKeyId: null,
    publicKey: { algorithm: 'unknown', size: null, curve: null },
    signatureAlgorithm: '',
    fingerprints: { sha256: hexColons(createHash('sha256').update(der).digest()), sha1: hexColons(createHash('sha1').update(der).digest()) },
    selfSigned: false,
    isCa: false,
  };
  const sigOid = oid(children(sigAlg)[0]);
  info.signatureAlgorithm = SIG_ALGS[sigOid] ?? sigOid;

  const extsN = rest.find((n) => isContext(n, 3));
  for (const ext of children(children(extsN)[0])) {
    const parts = children(ext);
    const id = oid(parts[0]);
    const critical = isUniversal(parts[1], ASN1.T.BOOLEAN) ? bytes(parts[1])[0] !== 0 : false;
    const valueN = parts[parts.length - 1];
    if (!isUniversal(valueN, ASN1.T.OCTETSTRING)) throw new CertError('bad-certificate', `The certificate is damaged: its extension ${id} cannot be read.`);
    const inner = () => parseDer(bytes(valueN));
    switch (id) {
      case '2.5.29.15': {
        const b = bytes(inner());
        const values: string[] = [];
        for (let i = 0; i < KEY_USAGE_BITS.length; i++) {
          const byte = b[1 + (i >> 3)];
          if (byte !== undefined && byte & (0x80 >> (i & 7))) values.push(KEY_USAGE_BITS[i]!);
        }
        info.keyUsage = { critical, values };
        break;
      }
      case '2.5.29.37':
        info.extendedKeyUsage = { critical, values: children(inner()).map((o) => { const x = oid(o); return EKU_NAMES[x] ?? x; }) };
        break;
      case '2.5.29.19': {
        const [a, b] = children(inner());
        let ca = false;
        let pathLen: number | null = null;
        if (isUniversal(a, ASN1.T.BOOLEAN)) {
          ca = bytes(a)[0] !== 0;
          if (b) pathLen = parseInt(intHex(b) || '0', 16);
        } else if (a) pathLen = parseInt(intHex(a) || '0', 16);
        info.basicConstraints = { critical, ca, pathLen };
        break;
      }
      case '2.5.29.17':
        for (const g of children(inner())) {
          if (g.tagClass !== ASN1.C.CONTEXT_SPECIFIC) continue;
          const v = bytes(g);
          if (g.type === 2) info.san.dns.push(v.toString('latin1'));
          else if (g.type === 7) info.san.ip.push(ipText(v));
          else if (g.type === 1) info.san.email.push(v.toString('latin1'));
          else if (g.type === 6) info.san.uri.push(v.toString('latin1'));
        }
        break;
      case '2.5.29.14':
        info.subjectKeyId = hexColons(bytes(inner()));
        break;
      case '2.5.29.35': {
        const k = children(inner()).find((n) => isContext(n, 0));
        if (k) info.authorityKeyId = hexColons(bytes(k));
        break;
      }
    }
  }

  let pk: ReturnType<() => X509Certificate['publicKey']>;
  try {
    pk = x509.publicKey;
  } catch {
    throw new CertError('bad-certificate', "The certificate's public key cannot be read: it is damaged, or of a type Node.js does not know.");
  }
  const d = pk.asymmetricKeyDetails ?? {};
  const curve = d.namedCurve ?? null;
  const curveBits: Record<string, number> = { prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521, secp256k1: 256 };
  info.publicKey = {
    algorithm: (pk.asymmetricKeyType ?? 'unknown').toUpperCase(),
    size: d.modulusLength ?? (curve ? (curveBits[curve] ?? null) : pk.asymmetricKeyType === 'ed25519' ? 256 : pk.asymmetricKeyType === 'ed448' ? 456 : null),
    curve,
  };
  info.isCa = info.basicConstraints?.ca === true;
  // Self-signed: subject equals issuer (the guide's rule) and the certificate's own key verifies it.
  if (subject.text === issuer.text) {
    try {
      info.selfSigned = x509.verify(pk);
    } catch {
      info.selfSigned = false;
    }
  }
  return { der, x509, info };
}
