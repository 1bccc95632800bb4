/**
 * Who may talk to the panel, and which request headers are believed.
 *
 * In the add-on only the Supervisor connects (HA ingress; research/ha-addon.md §5): its address
 * is 172.30.32.2, seen as ::ffff:172.30.32.2 on a dual-stack socket. Everything else gets 403.
 * X-Ingress-Path and X-Remote-User-* are believed only from a trusted peer: on any other
 * connection they could be forged by whoever sends the request.
 */
import type { IncomingHttpHeaders } from 'node:http';

export const SUPERVISOR_ADDRESS = '172.30.32.2';

/** Strips the IPv4-mapped IPv6 prefix: "::ffff:172.30.32.2" -> "172.30.32.2". */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export function trustedSet(extra: string[] = []): Set<string> {
  return new Set([SUPERVISOR_ADDRESS, ...extra.map(normalizeAddress)]);
}

export function isTrustedPeer(address: string | undefined, trusted: Set<string>): boolean {
  return trusted.has(normalizeAddress(address));
}

export interface IngressContext {
  /** The request came from a trusted peer (the Supervisor), so its ingress headers are believed. */
  viaIngress: boolean;
  /** "/api/hassio_ingress/<token>" (no trailing slash), or null. */
  ingressPath: string | null;
  user: { id: string | null; name: string | null; displayName: string | null } | null;
}

// One leading slash, then segments: "//host" would make every URL built on it protocol-relative.
const INGRESS_PATH = /^(\/[A-Za-z0-9._~-]+){1,20}\/?$/;

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.length <= 256 ? s : null;
}

/** The ingress facts of a request: empty unless the peer is trusted. */
export function ingressContext(address: string | undefined, headers: IncomingHttpHeaders, trusted: Set<string>): IngressContext {
  if (!isTrustedPeer(address, trusted)) return { viaIngress: false, ingressPath: null, user: null };
  const path = header(headers, 'x-ingress-path');
  const id = header(headers, 'x-remote-user-id');
  const name = header(headers, 'x-remote-user-name');
  const displayName = header(headers, 'x-remote-user-display-name');
  return {
    viaIngress: path !== null,
    ingressPath: path && INGRESS_PATH.test(path) && !path.includes('..') ? path.replace(/\/+$/, '') : null,
    user: id || name || displayName ? { id, name, displayName } : null,
  };
}

/** Who did something, for the log line of a command. */
export function describeUser(ctx: IngressContext): string {
  const u = ctx.user;
  if (!u) return ctx.viaIngress ? 'a Home Assistant user' : 'a direct client of the panel';
  return u.displayName || u.name || u.id || 'a Home Assistant user';
}

/** Loopback names: no DNS rebinding can make a remote page use them. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** The host names a panel outside the add-on answers to: loopback, the address it is bound to, the configured ones. */
export function allowedHostSet(boundHost: string | undefined, extra: string[] = []): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, ...extra.map((h) => h.toLowerCase().replace(/^\[|\]$/g, ''))]);
  if (boundHost && boundHost !== '0.0.0.0' && boundHost !== '::') names.add(boundHost.toLowerCase());
  return names;
}

/** Whether a Host header ("name", "name:port", "[v6]:port") names one of `allowed`. */
export function allowedHost(header: string | undefined, allowed: Set<string>): boolean {
  if (!header) return false;
  const h = header.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']')) : (h.split(':')[0] ?? '');
  return allowed.has(name);
}
