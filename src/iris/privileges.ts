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
  /** The role of the separate IRIS user that runs user-defined sensors: nothing of its own beyond logging in and running the agent. */
  sensors: z.object({ role: z.string().min(1), description: z.string(), resources: z.array(resourceEntry) }),
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
  /** A role the process must hold (IPM asks for %All: its README installs it "with a user that has the %ALL role"). */
  | { role: string }
  | { anyOf: { resource: string; permission: Permission }[] }
  | { database: 'namespace' | 'IRISSYS'; permission: 'R' | 'W' }
  /** SQL SELECT privilege on every table the statement reads (granted by GRANT SELECT, GSQL_privileges). */
  | { sql: 'SELECT' };

/**
 * How IRIS refuses without the privilege:
 * protect: the ObjectScript error <PROTECT> (database access), thrown;
 * status-940: a %Status "ERROR #940: Insufficient privilege for operation";
 * status-921: a %Status "ERROR #921: Operation requires <resource>:USE privilege", naming the first
 *   resource the process lacks (security APIs: %Admin_Secure, from 2025.2 also audited as
 *   %System/%Security/AccessDenied; configuration APIs: %Admin_Manage);
 * login: the connection is refused ("Access Denied");
 * sqlcode-99: a %Status "ERROR #5540: SQLCODE: -99 Message: User <name> is not privileged for the
 *   operation" from %Prepare (dynamic SQL checks SQL privileges when it prepares, GSQL_privileges);
 * none: nothing to refuse.
 */
export type Refusal = 'protect' | 'status-940' | 'status-921' | 'sqlcode-99' | 'login' | 'none';

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
const ALL: Need = { role: '%All' };
/**
 * Namespaces and their databases: the configuration and database APIs of %SYS, called in this
 * order by public code that creates a namespace with its own database (intersystems/ipm
 * src/cls/IPM/Utils/Build.cls CreateDatabase/InitializeNamespace, src/cls/IPM/Test/Utils.cls
 * CreateNamespace/DeleteNamespace). Only the IRIS owner runs them; never the bridge's role.
 */
const manage = (doc: string): IrisCall => ({ needs: [{ resource: '%Admin_Manage', permission: 'U' }], refusal: 'status-921', doc, confidence: 'UNVERIFIED' });
/** IPM: the owner only (irisowner holds %All); the bridge's role is refused. */
const ipm = (doc: string, confidence: IrisCall['confidence'] = 'UNVERIFIED'): IrisCall => ({ needs: [ALL], refusal: 'protect', doc, confidence });

/**
 * Keys: "Class.Method" for class methods, "%SYSTEM.X.Method" for $SYSTEM.X.Method,
 * "Class:Query" for a class query run through %ResultSet, "Class#Method" for instance methods,
 * "$NAMESPACE" / "$ROLES" for setting those special variables, "LOGIN" for the connection,
 * "^global" for reading a user's global by name indirection, "$CLASSMETHOD" for calling a user's
 * class method (both in IrisEdge.Agent.ReadSensors, run by the sensors user).
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
  // Its statements read Ens.MessageHeader (NamespaceSnapshot's error counts; SearchMessages, the
  // Ens.MessageHeader class reference for its columns), Ens_Config.Production, Ens_Config.Item and
  // (EventLog) Ens_Util.Log. No SELECT grant on these tables is needed: the statement is not
  // privilege-checked, and READ on the namespace's database, which stores them, is what guards them.
  '%SQL.Statement.%ExecDirectNoPriv': nsRead(
    'GSQL_dynsql_execute: %ExecDirectNoPriv runs without SQL privilege checks; database protection still applies (READ on the namespace\'s database: Ens.MessageHeader, Ens_Config.*, Ens_Util.Log)',
    'DOC',
  ),
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

  // User-defined sensors (IrisEdge.Agent.ReadSensors), called by the sensors user, whose role holds
  // only what an administrator grants it (DOCS.md "Your own sensors").
  '%SQL.Statement.%New': language('%SQL.Statement class reference'),
  '%Exception.General.%New': language('%Exception.General class reference'),
  '%SQL.Statement#%Prepare': {
    needs: [NS_READ, { sql: 'SELECT' }],
    refusal: 'sqlcode-99',
    doc: 'GSQL_privileges: dynamic SQL checks the user\'s SQL privileges when it prepares; SQLCODE -99 "User ... is not privileged for the operation" without SELECT on a table it reads (%All holders have every SQL privilege); %SQL.StatementMetadata statementType (1 SELECT)',
    confidence: 'DOC',
  },
  '%SQL.Statement#%Execute': nsRead('GAUTHZ database resources: the rows are read from the table\'s globals, which needs READ on their database; <PROTECT> otherwise', 'DOC'),
  '^global': nsRead('GAUTHZ: reading a global needs READ on the database that holds it (%DB_<database>:R); <PROTECT> *^Name,directory otherwise', 'DOC'),
  '$CLASSMETHOD': nsRead('RCOS_fclassmethod; running a class needs READ on the routines database that holds it; what the method itself reads needs its own privileges', 'DOC'),

  // The person account (IrisEdge.Setup.EnsureAdminUser, SetAccountPassword): only the IRIS owner
  // runs these, through `iris session` with OS authentication; never the bridge's role.
  'Security.Users.Exists': secure('Security.Users class reference; ROARS_gsecuring: the security classes\' APIs need %DB_IRISSYS:R and %Admin_Secure:U; ERROR #921 otherwise'),
  'Security.Users.Create': secure('Security.Users class reference (Create: Username, Roles, Password, ...); ROARS_gsecuring; the password must match the system PasswordPattern (TSQS_IRISLogin), ERROR #845 otherwise'),
  'Security.Users.Modify': secure(
    'Security.Users class reference (Modify with the "Password" and "ChangePassword" keys); ROARS_gsecuring; a password that does not match the system PasswordPattern (default 3.32ANP, 8.32ANP locked down: TSQS_IRISLogin) is refused with ERROR #845, an unknown user with ERROR #838 (InterSystems Error Reference)',
  ),

  // Apps (issue 16): IPM and namespaces, run only through the IRIS owner's privileged path
  // (`iris session IRIS -U <namespace>` as irisowner, OS authentication), never the bridge's role.
  '%SYSTEM.OBJ.Load': ipm(
    'intersystems/ipm README "Installing the InterSystems Package Manager Client": the release\'s installer (GET /packages/zpm/<version>/installer), loaded "with a user that has the %ALL role"; without internet access `do $System.OBJ.Load("/path/to/zpm.xml","ck")`, as the add-on does with the file it downloaded',
    'DOC',
  ),
  '%IPM.Main.Shell': ipm(
    'intersystems/ipm src/cls/IPM/Main.cls (Shell: install, update, load <archive>, uninstall, list-installed, repo); IPM compiles the package\'s code into the namespace and runs its setup, which may create web applications and roles: an administrator\'s action (README: %ALL)',
  ),
  'Config.Namespaces.Exists': sysRead('Config.Namespaces class reference (reads need no resource beyond IRISSYS)'),
  'Config.Databases.Exists': sysRead('Config.Databases class reference (reads need no resource beyond IRISSYS)'),
  'Security.Resources.Exists': secure('Security.Resources class reference; ROARS_gsecuring: the security classes\' APIs need %Admin_Secure:U'),
  'Security.Resources.Create': secure('Security.Resources class reference; a database of its own gets a %DB_<NAME> resource first, as intersystems/ipm src/cls/IPM/Utils/Build.cls CreateDatabase does'),
  'SYS.Database.CreateDatabase': manage('SYS.Database class reference; intersystems/ipm src/cls/IPM/Utils/Build.cls CreateDatabase creates the IRIS.DAT first'),
  'Config.Databases.Create': manage('Config.Databases class reference (the CPF entry for the database); intersystems/ipm src/cls/IPM/Utils/Build.cls'),
  'Config.Namespaces.Create': manage('Config.Namespaces class reference (Globals, Routines); GSA_config_namespace: 1-64 characters, a letter or % first, then letters, digits, - or _; stored in upper case'),
  '%Library.EnsembleMgr.EnableNamespace': manage('%Library.EnsembleMgr class reference: makes a namespace interoperability-enabled; intersystems/ipm src/cls/IPM/Test/Utils.cls CreateNamespace'),
  'Config.Namespaces.Delete': manage('Config.Namespaces class reference; intersystems/ipm src/cls/IPM/Test/Utils.cls DeleteNamespace'),
  'Config.Databases.Delete': manage('Config.Databases class reference; intersystems/ipm src/cls/IPM/Test/Utils.cls DeleteNamespace'),
  'SYS.Database.DeleteDatabase': manage('SYS.Database class reference; intersystems/ipm src/cls/IPM/Test/Utils.cls DeleteNamespace removes the IRIS.DAT after the CPF entry'),
};

/** The calls that need nothing beyond being able to run the agent (language and status helpers). */
export function isLanguageCall(key: string): boolean {
  return IRIS_CALLS[key]?.refusal === 'none';
}
