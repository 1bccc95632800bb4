/**
 * What only the owner of the IRIS instance may do, through the privileged path (in the add-on:
 * `iris` commands run as irisowner, with OS authentication), never through the bridge's
 * least-privilege IRIS user.
 */
export interface InstanceControl {
  /** A clean shutdown; resolves when IRIS is down. */
  stop(): Promise<void>;
  /** Resolves when IRIS answers again. */
  start(): Promise<void>;
  /**
   * Backup.General.ExternalFreeze(): IRIS flushes and then suspends database writes; processes go
   * on in memory and the journal is still written. Rejects when IRIS cannot freeze.
   */
  freeze(): Promise<void>;
  /** Backup.General.ExternalThaw(): database writes resume. */
  thaw(): Promise<void>;
}
