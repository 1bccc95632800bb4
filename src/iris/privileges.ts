/**
 * What IRIS checks for each call the bridge makes, and the role the bridge holds.
 *
 * - `BridgeRoleSpec` is rootfs/usr/share/iris-edge/agent/bridge-role.json: what IrisEdge.Setup
 *   grants. It is declared once; the simulator grants exactly it, the self-check verifies it.
 * - `IRIS_CALLS` lists every IRIS call in IrisEdge.Agent.cls (and the few the bridge makes
 *   directly, and the Security.Users calls of the account for people, which only the IRIS owner
 *   makes) with the privilege InterSystems documents for it, how IRIS refuses without it,
 *   and the source. The simulator enforces these entries; a test extracts the calls from the .cls
 *   and fails when one is missing here, so a new call cannot arrive without its privilege.
 *
 * Sources (docs.intersystems.com, irislatest, unless named): the research notes behind issue 11,
 * summarised per call below and in test/contract/README.md. [SRC OcuPilot] = privilege checks
 * measured on a live instance by jbrandtmse/OcuPilot (spec 20-2, 20-3).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export type Permission = 'R' | 'W' | 'U';

const resourceEntry = z.object({
  name: z.string().regex(/^%?[A-Za-z][\w.]*$/),
  permission: z.enum(['R', 'W', 'U', 'RW']),
  ifExists: z.boolean().optional(),
  why: z.string().min(1),
});

export const bridgeRoleSchema = z.object({
  role: z.string().min(1),
  description: z.string(),
  resources: z.array(resourceEntry),
  namespaceDatabases: z.object({ permission: z.enum(['R', 'RW']), why: z.string().min(1) }),
  escalation: z.object({ role: z.string().min(1), description: z.string(), resources: z.array(resourceEntry) }),
});
export type BridgeRoleSpec = z.infer<typeof bridgeRoleSchema>;

export const BRIDGE_ROLE_FILE = 'bridge-role.json';

/** bridge-role.json from the agent directory, validated. */
export function loadBridgeRole(agentDir: string): BridgeRoleSpec {
  const path = join(agentDir, BRIDGE_ROLE_FILE);
  return bridgeRoleSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/**
 * One privilege. `database: 'namespace'` is the database of the namespace the call runs in
 * (its globals and routines database); `database: 'IRISSYS'` is %SYS's.
 */
export type Need =
  | { resource: string; permission: Permission }
  | { anyOf: { resource: string; permission: Permission }[] }
  | { database: 'namespace' | 'IRISSYS'; permission: 'R' | 'W' };

/**
 * How IRIS refuses without the privilege:
 * protect: the ObjectScript error <PROTECT> (database access), thrown;
 * status-940: a %Status "ERROR #940: Insufficient privilege for operation";
 * status-921: a %Status "ERROR #921: Operation requires %Admin_Secure:USE privilege" (security APIs;
 *   from 2025.2 also audited as %System/%Security/AccessDenied);
 * login: the connection is refused ("Access Denied");
 * none: nothing to refuse.
 */
export type Refusal = 'protect' | 'status-940' | 'status-921' | 'login' | 'none';

export interface IrisCall {
  needs: Need[];
  refusal: Refusal;
  /** The document the behaviour follows. */
  doc: string;
  confidence: 'DOC' | 'SRC' | 'UNVERIFIED';
}

const NS_READ: Need = { database: 'namespace', permission: 'R' };
const NS_WRITE: Need = { database: 'namespace', permission: 'W' };
const SYS_READ: Need = { database: 'IRISSYS', permission: 'R' };
const ADMIN_SECURE: Need = { resource: '%Admin_Secure', permission: 'U' };
const RUN: Need = { resource: '%Ens_ProductionRun', permission: 'U' };

const language = (doc: string): IrisCall => ({ needs: [], refusal: 'none', doc, confidence: 'DOC' });
const nsRead = (doc: string, confidence: IrisCall['confidence'] = 'SRC'): IrisCall => ({ needs: [NS_READ], refusal: 'protect', doc, confidence });
const sysRead = (doc: string, confidence: IrisCall['confidence'] = 'UNVERIFIED'): IrisCall => ({ needs: [SYS_READ], refusal: 'protect', doc, confidence });
const secure = (doc: string): IrisCall => ({ needs: [ADMIN_SECURE], refusal: 'status-921', doc, confidence: 'DOC' });

/**
 * Keys: "Class.Method" for class methods, "%SYSTEM.X.Method" for $SYSTEM.X.Method,
 * "Class:Query" for a class query run through %ResultSet, "Class#Method" for instance methods,
 * "$NAMESPACE" / "$ROLES" for setting those special variables, "LOGIN" for the connection.
 */
export const IRIS_CALLS: Record<string, IrisCall> = {
  LOGIN: {
    needs: [{ resource: '%Service_Bindings', permission: 'U' }, { resource: '%Service_Native', permission: 'U' }, SYS_READ],
    refusal: 'login',
    doc: 'GAUTHN_services (%Service_Bindings; %Service_Native where the resource exists); TSQS_Namespaces (READ on the namespace\'s default globals database: %SYS is IRISSYS)',
    confidence: 'DOC',
  },
  $NAMESPACE: { needs: [NS_READ], refusal: 'protect', doc: 'RCOS_vnamespace, TSQS_Namespaces: READ on the default globals database; <PROTECT> otherwise', confidence: 'DOC' },
  $ROLES: {
    needs: [],
    refusal: 'none',
    doc: 'RCOS_vroles: code stored in IRISSYS may set $ROLES for callers without WRITE on %DB_IRISSYS; NEW $ROLES restores it',
    confidence: 'DOC',
  },

  '%SYSTEM.Version.GetVersion': language('%SYSTEM.Version class reference'),
  '%SYSTEM.Version.GetNumber': language('%SYSTEM.Version class reference'),
  '%SYSTEM.Status.GetErrorCodes': language('%SYSTEM.Status class reference'),
  '%SYSTEM.Status.GetErrorText': language('%SYSTEM.Status class reference'),
  '%SYSTEM.Security.Check': language('%SYSTEM.Security.Check: reports the caller\'s own permissions; anyone may call it'),
  '%Exception.StatusException.CreateFromStatus': language('%Exception.StatusException class reference'),
  '%Exception.SQL.CreateFromSQLCODE': language('%Exception.SQL class reference'),
  '%DynamicAbstractObject.%FromJSON': language('%Library.DynamicAbstractObject class reference'),
  '%File.NormalizeDirectory': language('%Library.File class reference'),

  '%SYSTEM.License.LUConsumed': sysRead('%SYSTEM.License class reference (no privilege named for the read methods)'),
  '%SYSTEM.License.LUAvailable': sysRead('%SYSTEM.License class reference (no privilege named for the read methods)'),
  '%SYSTEM.License.GetUserLimit': sysRead('%SYSTEM.License class reference (no privilege named for the read methods)'),
  '%SYSTEM.License.KeyExpirationDate': sysRead('%SYSTEM.License class reference: a $H date'),
  '%SYS.Namespace.ListAll': sysRead('%SYS.Namespace class reference', 'DOC'),
  '%Library.EnsembleMgr.IsEnsembleNamespace': sysRead('%Library.EnsembleMgr class reference (what it reads is not documented)'),
  'Config.Namespaces.Open': sysRead('Config.Namespaces class reference (reads need no resource beyond IRISSYS)'),
  'Config.Databases.Open': sysRead('Config.Databases class reference (reads need no resource beyond IRISSYS)'),
  'Config.Databases:List': sysRead('Config.Databases class reference; a class query through %ResultSet is not SQL-checked (GSQL_privileges)'),
  'SYS.Database.%OpenId': sysRead('SYS.Database class reference'),

  'Ens.Director.GetProductionStatus': nsRead('Ens.Director class reference; [SRC OcuPilot] reads check nothing beyond the database'),
  'Ens.Director.ProductionNeedsUpdate': nsRead('Ens.Director class reference; [SRC OcuPilot] reads check nothing beyond the database'),
  'Ens.Director.StartProduction': { needs: [RUN], refusal: 'status-940', doc: 'EGMG_security_resources (%Ens_ProductionRun: starting and stopping productions); [SRC OcuPilot] #940 without it', confidence: 'SRC' },
  'Ens.Director.StopProduction': { needs: [RUN], refusal: 'status-940', doc: 'EGMG_security_resources; [SRC OcuPilot] #940 without %Ens_ProductionRun:USE', confidence: 'SRC' },
  'Ens.Director.RestartProduction': { needs: [RUN], refusal: 'status-940', doc: 'EGMG_security_resources; [SRC OcuPilot] #940 without %Ens_ProductionRun:USE', confidence: 'SRC' },
  'Ens.Director.UpdateProduction': {
    needs: [{ anyOf: [{ resource: '%Ens_ProductionRun', permission: 'U' }, { resource: '%Ens_ConfigItemRun', permission: 'U' }] }],
    refusal: 'status-940',
    doc: '[SRC OcuPilot] UpdateProduction accepts %Ens_ConfigItemRun:USE alone (or %Ens_ProductionRun); #940 otherwise',
    confidence: 'SRC',
  },
  'Ens.Director.RecoverProduction': { needs: [NS_WRITE], refusal: 'protect', doc: '[SRC OcuPilot] no resource check; <PROTECT> on ^Ens.Suspended without WRITE on the database', confidence: 'SRC' },
  'Ens.Util.Statistics:EnumerateHostStatus': nsRead('GSQL_privileges: a class query run directly is application access, not SQL-checked; it reads the namespace\'s runtime globals', 'UNVERIFIED'),
  'Ens.Queue.GetCount': nsRead('Ens.Queue class reference (no resource named); reads ^Ens.Queue', 'UNVERIFIED'),
  // Its statements read Ens.MessageHeader, Ens_Config.Production, Ens_Config.Item and (EventLog) Ens_Util.Log.
  '%SQL.Statement.%ExecDirectNoPriv': nsRead('GSQL_dynsql_execute: %ExecDirectNoPriv runs without SQL privilege checks; database protection still applies', 'DOC'),
  'Ens.Config.Production.%ExistsId': nsRead('persistent class: READ on the database that stores it', 'DOC'),
  'Ens.Config.Production.%OpenId': nsRead('persistent class: READ on the database that stores it', 'DOC'),
  'Ens.Config.Item.%OpenId': nsRead('persistent class: READ on the database that stores it', 'DOC'),
  '%Dictionary.ClassDefinition.%ExistsId': nsRead('class definitions live in the namespace\'s routines database', 'DOC'),
  'Ens.Config.Production#SaveToClass': {
    needs: [NS_WRITE],
    refusal: 'protect',
    doc: '[SRC OcuPilot] no resource check, <PROTECT> on ^Ens.Config.ItemD / ^oddDEF without WRITE; writes the XData and compiles the production class',
    confidence: 'SRC',
  },

  // Home Assistant events into a production (IrisEdge.Agent.DeliverHaEvent, agent VERSION 7).
  'Ens.StringContainer.%New': language('Ens.StringContainer class reference: a transient message object; nothing is saved by %New'),
  'Ens.Director.CreateBusinessService': nsRead(
    'EGDV_busservice ("Defining Business Services": an adapterless service is called by the application); Ens.Director class reference; reads the running production\'s runtime globals, no resource named',
    'UNVERIFIED',
  ),
  'Ens.BusinessService#ProcessInput': {
    needs: [NS_WRITE],
    refusal: 'protect',
    doc: 'Ens.BusinessService class reference (ProcessInput runs OnProcessInput in the calling process); the message body, its header and the target\'s queue are saved in the namespace\'s database: <PROTECT> without WRITE on it',
    confidence: 'UNVERIFIED',
  },
  // IrisEdge.HA.Home's calls to Home Assistant (IrisEdge.Agent.TakeHaCalls, AnswerHaCall).
  '^IrisEdge.HA.Outbox': {
    needs: [NS_WRITE],
    refusal: 'protect',
    doc: 'GGBL (globals): a global is stored in the namespace\'s default globals database; SET and KILL need WRITE on it (<PROTECT> otherwise); TSQS_Namespaces',
    confidence: 'DOC',
  },
  '%SYSTEM.Event.Signal': language('%SYSTEM.Event class reference: Signal(pid) wakes a process waiting with Wait(""); no privilege named (UNVERIFIED)'),

  'Security.SSLConfigs:List': secure('Security.SSLConfigs class reference: "%Admin_Secure:USE is required to operate on an SSL configuration"; ASECURITYAPI (2025.2+)'),
  'Security.SSLConfigs.%OpenId': secure('Security.SSLConfigs class reference; ASECURITYAPI (2025.2+)'),
  'Security.SSLConfigs.Exists': secure('Security.SSLConfigs class reference; ASECURITYAPI (2025.2+)'),
  'Security.SSLConfigs.%New': secure('Security.SSLConfigs class reference; ASECURITYAPI (2025.2+)'),
  'Security.SSLConfigs#%Save': secure('Security.SSLConfigs class reference; ASECURITYAPI (2025.2+)'),
  'Security.SSLConfigs#Activate': secure('Security.SSLConfigs class reference; ASECURITYAPI (2025.2+)'),

  // The person account (IrisEdge.Setup.EnsureAdminUser, SetAccountPassword): only the IRIS owner
  // runs these, through `iris session` with OS authentication; never the bridge's role.
  'Security.Users.Exists': secure('Security.Users class reference; ROARS_gsecuring: the security classes\' APIs need %DB_IRISSYS:R and %Admin_Secure:U; ERROR #921 otherwise'),
  'Security.Users.Create': secure('Security.Users class reference (Create: Username, Roles, Password, ...); ROARS_gsecuring; the password must match the system PasswordPattern (TSQS_IRISLogin), ERROR #845 otherwise'),
  'Security.Users.Modify': secure(
    'Security.Users class reference (Modify with the "Password" and "ChangePassword" keys); ROARS_gsecuring; a password that does not match the system PasswordPattern (default 3.32ANP, 8.32ANP locked down: TSQS_IRISLogin) is refused with ERROR #845, an unknown user with ERROR #838 (InterSystems Error Reference)',
  ),
};

/** The calls that need nothing beyond being able to run the agent (language and status helpers). */
export function isLanguageCall(key: string): boolean {
  return IRIS_CALLS[key]?.refusal === 'none';
}
