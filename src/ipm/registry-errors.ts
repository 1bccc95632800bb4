/**
 * What can go wrong talking to an IPM registry, told apart so the panel can answer with the right
 * HTTP status and the user knows what to do. Messages name the registry by its address without
 * credentials (the client refuses addresses that carry any) and never quote a password.
 */
export type RegistryErrorKind =
  /** The address is not an http(s) URL the client will use. */
  | 'invalid-url'
  /** No answer: DNS, refused, reset, TLS. */
  | 'unreachable'
  | 'timeout'
  /** HTTP 401/403: credentials missing or refused. */
  | 'auth'
  /** HTTP 404 for a package or version. */
  | 'not-found'
  /** Any other HTTP error. */
  | 'http'
  /** An answer that is not what the IPM registry API returns. */
  | 'garbage'
  /** An answer bigger than the client accepts. */
  | 'too-large'
  /** A downloaded archive whose SHA-1 is not the one the registry announced. */
  | 'hash';

export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RegistryError';
  }
}
