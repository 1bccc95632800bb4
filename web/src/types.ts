/** The API's shapes as the UI reads them (see api/openapi.json). */
export interface Host {
  name: string;
  className: string;
  kind: 'service' | 'process' | 'operation';
  enabled: boolean;
  status: string;
  queue: number;
  errors: number;
  lastActivity: string | null;
}
export interface Production {
  key: string;
  namespace: string;
  name: string;
  state: string;
  irisState: string;
  commandInFlight: string | null;
  needsUpdate: boolean;
  updateReason: string;
  hosts: Host[];
}
export interface Metrics {
  systemStateWord: string | null;
  cpuPercent: number | null;
  memoryUsedPercent: number | null;
  licenseConsumed: number | null;
  licenseAvailable: number | null;
  licensePercentUsed: number | null;
  licenseDaysRemaining: number | null;
  licenseExpiry: string | null;
  diskPercentFull: number | null;
}
export interface Instance {
  id: string;
  name: string;
  reachable: boolean;
  inventoried: boolean;
  version: string | null;
  versionNumber: string | null;
  metrics: Metrics | null;
  productions: Production[];
}
