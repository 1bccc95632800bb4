/**
 * What IRIS says about its databases, for backups. Filled from Config.Databases and SYS.Database
 * in %SYS (the agent) or by the simulator; read by `backups/`.
 */
export interface DatabaseInfo {
  /** Config.Databases name, upper case (e.g. "IRISSYS", "USER"). */
  name: string;
  /** Absolute directory holding IRIS.DAT, with a trailing slash as IRIS writes it. */
  directory: string;
  /** Size of IRIS.DAT in bytes (SYS.Database Size is in MB; the agent multiplies). */
  sizeBytes: number;
  /** Mounted read-only (IRISLIB, ENSLIB: code that comes with the image). */
  readOnly: boolean;
  mounted: boolean;
}
