/** Errors of the certificate manager: each one is the user's input at fault and says what to do. */
export class CertError extends Error {
  constructor(
    /** A short machine-readable code, e.g. "bad-pem". */
    readonly code: string,
    message: string,
    /** The HTTP status the panel answers with (4xx). */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'CertError';
  }
}
