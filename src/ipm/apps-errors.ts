/** What can go wrong with an app or a namespace, told apart for the panel's HTTP status. */
export type AppsErrorKind = 'bad-input' | 'not-found' | 'registry' | 'ipm' | 'iris' | 'busy' | 'unavailable';

export class AppsError extends Error {
  constructor(
    readonly kind: AppsErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppsError';
  }
}
