/**
 * The simulated instance's security model, as strict as IRIS's (never kinder):
 * [ASEC]  "Authorization: Controlling User Access" (GAUTHZ): users hold roles, roles hold
 *         resources with permissions R, W, U; %All holds everything; a resource may also grant
 *         public permissions (only %DB_IRISTEMP:RW by default, GSA_config_privs).
 * [SVC]   GAUTHN_services: a Native API login goes through %Service_Bindings and needs USE on it
 *         (and on %Service_Native where that resource exists); refused logins answer "Access Denied".
 * [NS]    RCOS_vnamespace / TSQS_Namespaces: using a namespace needs READ on its default globals
 *         database; <PROTECT> otherwise, <NAMESPACE> when it does not exist.
 * [ROLES] RCOS_vroles: code stored in IRISSYS may add roles to $ROLES for its caller; NEW $ROLES
 *         restores them when the frame ends. A role that does not exist cannot be added.
 * [PWD]   TSQS_IRISLogin: a password must match the system-wide PasswordPattern, an ObjectScript
 *         pattern ("3.32ANP": 3 to 32 letters, digits or punctuation; the default of minimal and
 *         normal installs, 8.32ANP locked down); Security.Users refuses others with
 *         ERROR #845 "Password does not match length or pattern requirements" (InterSystems Error
 *         Reference), an unknown user with ERROR #838 "User %1 does not exist".
 * [SQLP]  GSQL_privileges: SQL privileges (GRANT SELECT ON <table> or ON SCHEMA <schema>) are held by
 *         users and roles; a holder of %All has every SQL privilege; dynamic SQL checks them when
 *         it prepares and refuses with SQLCODE -99.
 * Every privilege a call needs comes from IRIS_CALLS (src/iris/privileges.ts), never from the
 * role the bridge happens to hold.
 */
import { IRIS_CALLS, type IrisCall, type Need, type Permission } from '../privileges.ts';

/** An ObjectScript error as IRIS raises it: <NAME> location *detail (Name is "<NAME>"). */
export class ObjectScriptError extends Error {
  constructor(
    readonly errorName: string,
    readonly detail: string,
    location = 'zSimulated^IrisEdge.Agent.1',
  ) {
    super(`${errorName} ${location} ${detail}`);
  }
}

/** A failed %Status: GetErrorCodes gives `codes`, GetErrorText gives `text`. */
export class StatusError extends Error {
  constructor(
    readonly codes: string,
    readonly text: string,
  ) {
    super(text);
  }
}

export const INSUFFICIENT_PRIVILEGE = (): StatusError => new StatusError('940', 'ERROR #940: Insufficient privilege for operation');
export const REQUIRES_PRIVILEGE = (privilege: string): StatusError => new StatusError('921', `ERROR #921: Operation requires ${privilege} privilege`);

type Grants = Map<string, Set<Permission>>;

/**
 * [PWD] Whether `password` matches a PasswordPattern of the form "<min>.<max><codes>". The codes
 * modelled: A letters, U upper case, L lower case, N digits, P punctuation (the printable ASCII
 * characters that are neither letters nor digits, space included), E any character. Letters are
 * ASCII only here, never kinder than IRIS; any other pattern is refused as IRIS refuses a pattern
 * it cannot use (ERROR #958).
 */
export function matchesPasswordPattern(password: string, pattern: string): boolean {
  const m = /^(\d+)\.(\d+)([AULNPE]+)$/i.exec(pattern);
  if (!m) throw new StatusError('958', `ERROR #958: Invalid password pattern '${pattern}'`);
  const chars = [...password];
  if (chars.length < Number(m[1]) || chars.length > Number(m[2])) return false;
  const codes = (m[3] as string).toUpperCase();
  const classes: Record<string, RegExp> = { A: /[A-Za-z]/, U: /[A-Z]/, L: /[a-z]/, N: /[0-9]/, P: /[ -/:-@[-`{-~]/, E: /[\s\S]/ };
  return chars.every((c) => [...codes].some((code) => classes[code]?.test(c)));
}

export const PASSWORD_REFUSED = (): StatusError => new StatusError('845', 'ERROR #845: Password does not match length or pattern requirements');

interface SimUser {
  password: string;
  enabled: boolean;
  roles: string[];
}

/** One IRIS process: who logged in, their roles, the roles code added, the namespace it is in. */
export class SimProcess {
  namespace: string;
  /** The class method this process is running (an IRIS process runs one call at a time). */
  method = '';
  private readonly added: string[][] = [];

  constructor(
    readonly username: string,
    readonly loginRoles: readonly string[],
    namespace: string,
  ) {
    this.namespace = namespace;
  }

  /** $ROLES: login roles plus every role added by the frames still active. */
  get roles(): string[] {
    return [...new Set([...this.loginRoles, ...this.added.flat()])];
  }

  /** NEW $ROLES SET $ROLES=role ... (frame ends): the roles hold only while `fn` runs. */
  withRoles<T>(roles: string[], fn: () => T): T {
    this.added.push(roles);
    try {
      return fn();
    } finally {
      this.added.pop();
    }
  }
}

/** Parses "Name:RWU,Other:R" as Security.Roles takes it. */
export function parseResources(spec: string): Grants {
  const grants: Grants = new Map();
  for (const part of spec.split(',').filter((p) => p.trim() !== '')) {
    const [name, perms = ''] = part.split(':');
    const set = grants.get(name as string) ?? new Set<Permission>();
    for (const ch of perms.toUpperCase()) if (ch === 'R' || ch === 'W' || ch === 'U') set.add(ch);
    grants.set(name as string, set);
  }
  return grants;
}

export class SimulatedSecurity {
  private readonly resources = new Map<string, Set<Permission>>();
  private readonly roles = new Map<string, Grants>();
  private readonly users = new Map<string, SimUser>();
  /** [SQLP] grantee (user or role) -> "SCHEMA.TABLE" or "SCHEMA.*", upper case. */
  private readonly sqlSelect = new Map<string, Set<string>>();

  constructor() {
    // [ASEC] the predefined resources the bridge's calls involve; public permissions as shipped.
    for (const r of [
      '%Service_Bindings',
      '%Service_Native',
      '%DB_IRISSYS',
      '%Ens_ProductionRun',
      '%Ens_ConfigItemRun',
      '%Ens_Dashboard',
      '%Ens_EventLog',
      '%Ens_MessageHeader',
      '%Ens_Queues',
      '%Development',
      '%Admin_Operate',
      '%Admin_Manage',
      '%Admin_Secure',
    ]) {
      this.resources.set(r, new Set());
    }
    this.resources.set('%DB_IRISTEMP', new Set<Permission>(['R', 'W']));
    this.roles.set('%All', new Map());
  }

  resourceExists(name: string): boolean {
    return this.resources.has(name);
  }

  /** A database resource, as creating a database with its own resource does. */
  addResource(name: string): void {
    if (!this.resources.has(name)) this.resources.set(name, new Set());
  }

  /** Security.Roles.Create/Modify: every named resource must exist. */
  setRole(name: string, resources: string): void {
    const grants = parseResources(resources);
    for (const r of grants.keys()) {
      if (!this.resources.has(r)) throw new StatusError('1001', `ERROR #1001: Resource ${r} does not exist`);
    }
    this.roles.set(name, grants);
  }

  roleExists(name: string): boolean {
    return this.roles.has(name);
  }

  /** Test seam: take one permission (or the whole resource) away from a role. */
  revoke(role: string, resource: string, permission?: Permission): void {
    const grants = this.roles.get(role);
    if (!grants) return;
    if (permission) grants.get(resource)?.delete(permission);
    else grants.delete(resource);
  }

  /** Test seam: give a role one permission. */
  grant(role: string, resource: string, permission: Permission): void {
    const grants = this.roles.get(role) ?? new Map<string, Set<Permission>>();
    this.roles.set(role, grants);
    const set = grants.get(resource) ?? new Set<Permission>();
    set.add(permission);
    grants.set(resource, set);
  }

  /** [SQLP] GRANT SELECT ON <table> TO <grantee>, or ON SCHEMA <schema> with `Schema.*`. */
  grantSelect(grantee: string, object: string): void {
    const set = this.sqlSelect.get(grantee) ?? new Set<string>();
    set.add(object.toUpperCase());
    this.sqlSelect.set(grantee, set);
  }

  /** [SQLP] Whether the process may SELECT from `table` ("Schema.Table"). */
  maySelect(proc: SimProcess, table: string): boolean {
    const t = table.toUpperCase();
    const schema = `${t.slice(0, t.lastIndexOf('.'))}.*`;
    return [proc.username, ...proc.roles].some((g) => g === '%All' || this.sqlSelect.get(g)?.has(t) === true || this.sqlSelect.get(g)?.has(schema) === true);
  }

  /** [PWD] The system-wide PasswordPattern (Security.System); 3.32ANP on a normal install. */
  passwordPattern = '3.32ANP';

  setUser(name: string, password: string, roles: string[], enabled = true): void {
    this.users.set(name, { password, roles, enabled });
  }

  userExists(name: string): boolean {
    return this.userKey(name) !== undefined;
  }

  /** The roles a user logs in with (tests). */
  rolesOf(name: string): string[] | undefined {
    const key = this.userKey(name);
    return key === undefined ? undefined : this.users.get(key)?.roles;
  }

  /** Whether `password` is the user's password now (tests: what a login would say). */
  passwordIs(name: string, password: string): boolean {
    const key = this.userKey(name);
    return key !== undefined && this.users.get(key)?.password === password;
  }

  /**
   * Security.Users.Create(name, roles, password) as `proc`: %Admin_Secure:USE, a new name, a
   * password that matches the pattern.
   */
  createUser(proc: SimProcess, name: string, password: string, roles: string[]): void {
    this.enforce(proc, 'Security.Users.Create', 'IRISSYS', '/usr/irissys/mgr/');
    if (this.userKey(name) !== undefined) throw new StatusError('837', `ERROR #837: User ${name} already exists`);
    if (!matchesPasswordPattern(password, this.passwordPattern)) throw PASSWORD_REFUSED();
    this.users.set(name, { password, roles, enabled: true });
  }

  /** Security.Users.Modify(name, {Password}) as `proc`: nothing changes unless every check passes. */
  modifyPassword(proc: SimProcess, name: string, password: string): void {
    this.enforce(proc, 'Security.Users.Modify', 'IRISSYS', '/usr/irissys/mgr/');
    const key = this.userKey(name);
    const user = key === undefined ? undefined : this.users.get(key);
    if (!user) throw new StatusError('838', `ERROR #838: User ${name} does not exist`);
    if (!matchesPasswordPattern(password, this.passwordPattern)) throw PASSWORD_REFUSED();
    user.password = password;
  }

  private userKey(name: string): string | undefined {
    return this.users.has(name) ? name : undefined;
  }

  /** [SVC] a Native API login: password, enabled account, the service resources, READ on the namespace. */
  login(username: string, password: string): SimProcess {
    const user = this.users.get(username);
    if (!user || user.password !== password || !user.enabled) throw new Error('Access Denied');
    const proc = new SimProcess(username, user.roles, '%SYS');
    for (const need of IRIS_CALLS.LOGIN?.needs ?? []) {
      if ('resource' in need && !this.resourceExists(need.resource)) continue;
      if (!this.satisfies(proc, need, 'IRISSYS')) throw new Error('Access Denied');
    }
    return proc;
  }

  /** $SYSTEM.Security.Check(resource): "READ,WRITE,USE" style, "" for none. */
  check(proc: SimProcess, resource: string): string {
    const words: string[] = [];
    if (this.holds(proc, resource, 'R')) words.push('READ');
    if (this.holds(proc, resource, 'W')) words.push('WRITE');
    if (this.holds(proc, resource, 'U')) words.push('USE');
    return words.join(',');
  }

  holds(proc: SimProcess, resource: string, permission: Permission): boolean {
    if (!this.resources.has(resource)) return false;
    if (this.resources.get(resource)?.has(permission)) return true;
    for (const role of proc.roles) {
      if (role === '%All') return true;
      if (this.roles.get(role)?.get(resource)?.has(permission)) return true;
    }
    return false;
  }

  /** One need, with `nsDatabase` the resource-less name of the database the call runs against. */
  satisfies(proc: SimProcess, need: Need, nsDatabase: string, tables: readonly string[] = []): boolean {
    if ('sql' in need) return tables.every((t) => this.maySelect(proc, t));
    if ('anyOf' in need) return need.anyOf.some((n) => this.holds(proc, n.resource, n.permission));
    if ('role' in need) return proc.roles.includes(need.role);
    if ('resource' in need) return this.holds(proc, need.resource, need.permission);
    const db = need.database === 'IRISSYS' ? 'IRISSYS' : nsDatabase;
    return this.holds(proc, `%DB_${db}`, need.permission);
  }

  /**
   * Enforces IRIS_CALLS[key] for a process whose current namespace keeps its data in `nsDatabase`,
   * failing the way IRIS fails for that call.
   */
  enforce(proc: SimProcess, key: string, nsDatabase: string, directory: string, target?: { tables?: readonly string[]; global?: string }): void {
    const call: IrisCall | undefined = IRIS_CALLS[key];
    if (!call) throw new ObjectScriptError('<CLASS DOES NOT EXIST>', `*${key} (the simulator models no such call; add it to IRIS_CALLS with its privilege)`);
    for (const need of call.needs) {
      if (this.satisfies(proc, need, nsDatabase, target?.tables)) continue;
      // [SQLP] the database check of a statement is a <PROTECT> whatever the call's SQL refusal is.
      if (call.refusal === 'sqlcode-99' && !('sql' in need)) throw new ObjectScriptError('<PROTECT>', `*${target?.global ?? '^'},${directory}`);
      switch (call.refusal) {
        case 'sqlcode-99':
          throw new StatusError('5540', `ERROR #5540: SQLCODE: -99 Message: User ${proc.username} is not privileged for the operation`);
        case 'status-940':
          throw INSUFFICIENT_PRIVILEGE();
        case 'status-921':
          throw REQUIRES_PRIVILEGE('resource' in need ? `${need.resource}:USE` : '%Admin_Secure:USE');
        case 'login':
          throw new Error('Access Denied');
        default:
          // [NS] <PROTECT> names the global and the database directory.
          throw new ObjectScriptError('<PROTECT>', `*${target?.global ?? `^${key.replace(/[^A-Za-z.]/g, '')}`},${directory}`);
      }
    }
  }
}
