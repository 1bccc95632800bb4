/**
 * The privileged path for the account for people: what only the owner of the IRIS instance may
 * do, never the bridge's least-privilege IRIS user (its role holds no %Admin_Secure).
 */
export interface AccountOwner {
  /**
   * Security.Users.Modify(username) with the password on the first line of `passwordFile`
   * (never on a command line), ChangePassword 0. Resolves once IRIS accepted it; rejects with an
   * AccountError: 'rejected' with IRIS's text when IRIS refused the password, 'iris' otherwise.
   */
  setPassword(username: string, passwordFile: string): Promise<void>;
}
