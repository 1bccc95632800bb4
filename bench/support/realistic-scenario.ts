import type { ProductionSeed } from '../../src/iris/simulator/index.ts';

/**
 * 10 x 100 with names like real interoperability productions' (the scale scenario's HostNNN names
 * compress far better than real ones would): systems, protocols and roles mixed, numbered, with
 * EnsLib and custom classes. Deterministic, so runs compare.
 */
export function realisticScenario(productions: number, hosts: number): ProductionSeed[] {
  let seed = 0x2f6e2b1;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)] as T;
  const systems = ['Lab', 'Radiology', 'Pharmacy', 'ADT', 'Billing', 'Orders', 'Scheduling', 'EMPI', 'Claims', 'Inventory', 'Cardiology', 'Oncology', 'Referrals', 'Portal'];
  const protocols = ['HL7', 'FHIR', 'SOAP', 'REST', 'File', 'SQL', 'FTP', 'TCP', 'Mail', 'Kafka', 'DICOM', 'X12'];
  const roles = { service: ['In', 'Listener', 'Poller', 'Receiver'], process: ['Router', 'Transform', 'Lookup', 'Enrich', 'Split'], operation: ['Out', 'Sender', 'Writer', 'Archive', 'Notify'] } as const;
  const classes = {
    service: ['EnsLib.HL7.Service.TCPService', 'EnsLib.HL7.Service.FileService', 'EnsLib.REST.Service', 'EnsLib.SQL.Service.GenericService', 'EnsLib.File.PassthroughService'],
    process: ['EnsLib.HL7.MsgRouter.RoutingEngine', 'EnsLib.MsgRouter.RoutingEngine', 'Ens.BusinessProcessBPL'],
    operation: ['EnsLib.HL7.Operation.TCPOperation', 'EnsLib.File.PassthroughOperation', 'EnsLib.REST.Operation', 'EnsLib.EMail.AlertOperation', 'EnsLib.SQL.Operation.GenericOperation'],
  } as const;
  const kinds = ['service', 'process', 'operation'] as const;
  return Array.from({ length: productions }, (_, p) => {
    const org = pick(['Acme', 'StMary', 'Northwind', 'Contoso', 'Riverside']);
    const names = new Set<string>();
    return {
      namespace: `${pick(systems).toUpperCase()}${p + 1}`,
      name: `${org}.${pick(systems)}.Production`,
      running: true,
      hosts: Array.from({ length: hosts }, () => {
        const kind = pick(kinds);
        let name = '';
        do name = `${pick(systems)}.${pick(protocols)}.${pick(roles[kind])}${rnd(4) === 0 ? '' : rnd(40) + 1}`;
        while (names.has(name));
        names.add(name);
        const className: string = rnd(3) === 0 ? `${org}.${pick(systems)}.${pick(roles[kind])}${kind[0]?.toUpperCase()}${kind.slice(1)}` : pick(classes[kind]);
        return { name, className, kind };
      }),
    };
  });
}
