import type { HostKind } from '../../model/production.ts';

/** The productions a simulated IRIS starts with. Plain data so tests and benches can build their own. */
export interface HostSeed {
  name: string;
  className: string;
  kind: HostKind;
  enabled?: boolean;
}
export interface ProductionSeed {
  namespace: string;
  name: string;
  running: boolean;
  /** Starts with the instance (Ens.Director.SetAutoStart); defaults to `running`. */
  autoStart?: boolean;
  hosts: HostSeed[];
}

/** The demo a user sees with `npm start`: two namespaces, three productions, realistic host names. */
export function demoScenario(): ProductionSeed[] {
  return [
    {
      namespace: 'ORDERS',
      name: 'Orders.Production',
      running: true,
      hosts: [
        { name: 'HL7.In.File', className: 'EnsLib.HL7.Service.FileService', kind: 'service' },
        { name: 'Orders.Router', className: 'EnsLib.HL7.MsgRouter.RoutingEngine', kind: 'process' },
        { name: 'HL7.Out.Lab', className: 'EnsLib.HL7.Operation.TCPOperation', kind: 'operation' },
        { name: 'Orders.DB', className: 'EnsLib.SQL.Operation.GenericOperation', kind: 'operation' },
      ],
    },
    {
      namespace: 'ORDERS',
      name: 'Orders.Replay.Production',
      running: false,
      hosts: [{ name: 'Replay.In.File', className: 'EnsLib.HL7.Service.FileService', kind: 'service' }],
    },
    {
      namespace: 'LAB',
      name: 'Lab.Results.Production',
      running: true,
      hosts: [
        { name: 'Results.In.TCP', className: 'EnsLib.HL7.Service.TCPService', kind: 'service' },
        { name: 'Results.Router', className: 'EnsLib.HL7.MsgRouter.RoutingEngine', kind: 'process' },
        { name: 'Results.Out.File', className: 'EnsLib.HL7.Operation.FileOperation', kind: 'operation' },
        { name: 'Results.Alerts', className: 'EnsLib.EMail.AlertOperation', kind: 'operation', enabled: false },
      ],
    },
  ];
}

/**
 * Many running productions with many hosts, for benches and scale tests. Each production gets its
 * own namespace because only one production runs per namespace.
 */
export function scaleScenario(productions: number, hostsPerProduction: number): ProductionSeed[] {
  const kinds: HostKind[] = ['service', 'process', 'operation'];
  return Array.from({ length: productions }, (_, p) => ({
    namespace: `SCALE${String(p + 1).padStart(2, '0')}`,
    name: `Scale${p + 1}.Production`,
    running: true,
    hosts: Array.from({ length: hostsPerProduction }, (_, h) => {
      const kind = kinds[h % 3] as HostKind;
      return { name: `Host${String(h + 1).padStart(3, '0')}.${kind}`, className: `Demo.${kind}`, kind };
    }),
  }));
}
