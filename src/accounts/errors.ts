/** What can go wrong with the account for people, each with what the person can do about it. */
export type AccountErrorCode =
  /** This bridge cannot act as the IRIS owner (outside the add-on, a remote instance). */
  | 'unavailable'
  /** IRIS refused the new password (pattern, length, its validation routine): its own words. */
  | 'rejected'
  /** Another change of the password is under way. */
  | 'busy'
  /** IRIS did not answer, or the privileged path failed; nothing was stored. */
  | 'iris'
  /** The stored password could not be read or written. */
  | 'io';

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AccountError';
  }
}
