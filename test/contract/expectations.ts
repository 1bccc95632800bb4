/**
 * Expectations that hold for ANY IrisClient: the simulator and a real IRIS (through the Native
 * API client). Register them with irisContract(name, makeClient) from a *.test.ts file.
 *
 * The suite drives one production through stop / start / restart and leaves it in the state it
 * was found in. It polls snapshot() (up to 60 s) for the state IRIS reports, as the bridge does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IrisClient } from '../../src/iris/client.ts';
import { IrisCommandRefusedError, IrisError, IrisUnavailableError } from '../../src/model/errors.ts';
import {
  HOST_STATUSES,
  PRODUCTION_STATES,
  productionKey,
  type ProductionSnapshot,
  type ProductionState,
  type Snapshot,
} from '../../src/model/production.ts';
import { waitFor as poll } from '../support/fixtures.ts';
import { EVENT_LOG_LIMIT, EVENT_TEXT_MAX } from '../../src/model/event-log.ts';
import { MESSAGE_SEARCH_LIMIT, MESSAGE_STATUSES } from '../../src/model/message-search.ts';
import type { SensorSource } from '../../src/monitor/agent-sensors.ts';
import { isWaitError } from '../../src/ha/delivery-queue.ts';

export interface ContractSubject {
  client: IrisClient;
  /** A production the suite may stop, start and restart. */
  production: { namespace: string; name: string };
  cleanup?: () => Promise<void>;
  /**
   * Removes the SSL/TLS configuration the suite creates (IrisEdgeContract). IrisClient has no
   * delete: the simulator passes deleteSslConfig; against a real IRIS, leave it out and delete the
   * client configuration "IrisEdgeContract" by hand (Management Portal > System Administration >
   * Security > SSL/TLS Configurations, or Security.SSLConfigs.Delete("IrisEdgeContract") in %SYS).
   * It has no certificate, key or CA file, so leaving it is harmless.
   */
  deleteSslConfig?: (name: string) => Promise<void>;
  /**
   * A client logged in as the sensors' own user (role IrisEdgeSensors, nothing granted), for the
   * ReadSensors expectations; they run in %SYS, which that role may enter. Left out: skipped.
   */
  sensors?: SensorSource & { close(): Promise<void> };
}

export interface ContractOptions {
  /** How long to wait for a state change to show in snapshot() (default 60000 ms). */
  settleTimeoutMs?: number;
  /** Poll interval (default 500 ms). */
  pollMs?: number;
  /** StopProduction/RestartProduction timeout passed with every stop/restart (default 30 s). */
  commandTimeoutSeconds?: number;
}

const TRANSITIONAL: readonly ProductionState[] = ['starting', 'stopping', 'restarting'];
const IRIS_STATES = PRODUCTION_STATES.filter((s) => !TRANSITIONAL.includes(s));
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function find(snapshot: Snapshot, p: { namespace: string; name: string }): ProductionSnapshot | undefined {
  return snapshot.productions.find((x) => x.namespace === p.namespace && x.name === p.name);
}

export function irisContract(
  name: string,
  makeClient: () => Promise<ContractSubject>,
  options: ContractOptions = {},
): void {
  const settleMs = options.settleTimeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 500;
  const commandTimeoutSeconds = options.commandTimeoutSeconds ?? 30;

  describe(`IrisClient contract: ${name}`, () => {
    let subject: ContractSubject;
    let initial: ProductionState | undefined;

    const client = () => subject.client;
    const target = () => subject.production;

    async function current(): Promise<ProductionSnapshot> {
      const p = find(await client().snapshot(), target());
      assert.ok(p, `production ${productionKey(target())} is missing from the snapshot`);
      return p;
    }

    async function waitFor(state: ProductionState, why: string): Promise<ProductionSnapshot> {
      let last: ProductionSnapshot | undefined;
      return poll(
        async () => {
          last = await current();
          return last.state === state && last;
        },
        settleMs,
        () => `${why}: ${productionKey(target())} to be "${state}"; it is still "${last?.state}"`,
        pollMs,
      );
    }

    async function ensureState(state: 'running' | 'stopped'): Promise<void> {
      const now = (await current()).state;
      if (now === state) return;
      if (state === 'running') {
        await client().control({ ...cmd(), action: 'start' });
      } else {
        await client().control({ ...cmd(), action: 'stop', timeoutSeconds: commandTimeoutSeconds });
      }
      await waitFor(state, `bringing the production to ${state}`);
    }

    const cmd = () => ({ namespace: target().namespace, production: target().name });

    before(async () => {
      subject = await makeClient();
      initial = find(await client().snapshot(), target())?.state;
    });

    after(async () => {
      if (!subject) return;
      try {
        if (initial === 'running' || initial === 'stopped') await ensureState(initial);
      } finally {
        await client().close();
        await subject.sensors?.close();
        await subject.cleanup?.();
      }
    });

    it('reports a kind and a target without secrets', () => {
      assert.ok(client().kind === 'simulator' || client().kind === 'native');
      assert.match(client().target, /\S/);
      assert.doesNotMatch(client().target, /password|pwd=|:[^/@:]+@/i, 'the target must not carry credentials');
    });

    it('snapshot: instance facts, at least one interoperability namespace, the given production', async () => {
      const s = await client().snapshot();
      assert.ok(s.instance.version.trim().length > 0, 'instance.version is empty');
      assert.match(s.instance.versionNumber, /^\d{4}\.\d+/, 'instance.versionNumber looks like "2025.1..."');
      assert.match(s.takenAt, ISO_WITH_ZONE);
      assert.ok(Math.abs(Date.parse(s.takenAt) - Date.now()) < 5 * 60_000, `takenAt ${s.takenAt} is far from now`);
      const namespaces = new Set(s.productions.map((p) => p.namespace));
      assert.ok(namespaces.size >= 1, 'no interoperability namespace with a production');
      assert.ok(find(s, target()), `production ${productionKey(target())} not listed; have ${s.productions.map(productionKey).join(', ')}`);
      assert.ok(initial !== undefined);
    });

    it('snapshot: production states are IRIS states of the model; hosts have sane fields', async () => {
      const s = await client().snapshot();
      const keys = new Set<string>();
      for (const p of s.productions) {
        const key = productionKey(p);
        assert.ok(!keys.has(key), `duplicate production ${key}`);
        keys.add(key);
        assert.ok(IRIS_STATES.includes(p.state), `${key}: state "${p.state}" is not one IRIS reports`);
        assert.equal(typeof p.needsUpdate, 'boolean', `${key}.needsUpdate`);
        assert.equal(typeof p.updateReason, 'string', `${key}.updateReason`);
        const names = new Set<string>();
        for (const h of p.hosts) {
          const where = `${key} host ${h.name}`;
          assert.ok(h.name.length > 0, `${key}: a host has no name`);
          assert.ok(!names.has(h.name), `${where}: duplicate name`);
          names.add(h.name);
          assert.ok(h.className.length > 0, `${where}: className is empty`);
          assert.ok(['service', 'process', 'operation'].includes(h.kind), `${where}: kind "${h.kind}"`);
          assert.equal(typeof h.enabled, 'boolean', `${where}: enabled`);
          assert.ok((HOST_STATUSES as readonly string[]).includes(h.status), `${where}: status "${h.status}"`);
          assert.ok(Number.isInteger(h.queue) && h.queue >= 0, `${where}: queue ${h.queue}`);
          assert.ok(Number.isInteger(h.errors) && h.errors >= 0, `${where}: errors ${h.errors}`);
          if (h.lastActivity !== null) {
            assert.match(h.lastActivity, ISO_WITH_ZONE, `${where}: lastActivity`);
            assert.ok(Date.parse(h.lastActivity) < Date.now() + 5 * 60_000, `${where}: lastActivity ${h.lastActivity} is in the future`);
          }
        }
      }
      assert.ok((find(s, target())?.hosts.length ?? 0) > 0, `${productionKey(target())} has no hosts; use a production with hosts`);
    });

    it('start (when stopped) -> running', async () => {
      await ensureState('stopped');
      await client().control({ ...cmd(), action: 'start' });
      const p = await waitFor('running', 'after start');
      assert.ok(p.hosts.some((h) => h.enabled && h.status !== 'stopped'), 'a running production has no running host');
    });

    it('stop -> stopped, and no host of a stopped production is running', async () => {
      await ensureState('running');
      await client().control({ ...cmd(), action: 'stop', timeoutSeconds: commandTimeoutSeconds });
      const p = await waitFor('stopped', 'after stop');
      for (const h of p.hosts) {
        assert.ok(['stopped', 'disabled', 'unconfigured'].includes(h.status), `host ${h.name} is "${h.status}" in a stopped production`);
      }
    });

    it('start when already running is refused with IrisCommandRefusedError', async () => {
      await ensureState('running');
      await assert.rejects(client().control({ ...cmd(), action: 'start' }), (err: unknown) => {
        assert.ok(err instanceof IrisCommandRefusedError, `expected IrisCommandRefusedError, got ${String(err)}`);
        assert.ok(err.message.length > 0, 'the refusal carries no reason');
        if (err.irisCode !== undefined) assert.equal(err.irisCode, '<Ens>ErrProductionAlreadyRunning');
        return true;
      });
      assert.equal((await current()).state, 'running', 'a refused start changed the state');
    });

    it('restart -> running again', async () => {
      await ensureState('running');
      await client().control({ ...cmd(), action: 'restart', timeoutSeconds: commandTimeoutSeconds });
      await waitFor('running', 'after restart');
    });

    it('update on a running production with nothing to apply keeps it running and clears needsUpdate', async () => {
      await ensureState('running');
      await client().control({ ...cmd(), action: 'update', timeoutSeconds: commandTimeoutSeconds });
      const p = await waitFor('running', 'after update');
      assert.equal(p.needsUpdate, false, `still needs an update: ${p.updateReason}`);
    });

    it('recover on a production that is not troubled changes nothing', async () => {
      await ensureState('running');
      await client().control({ ...cmd(), action: 'recover' });
      assert.equal((await current()).state, 'running');
    });

    it('disabling and enabling a business host shows in the inventory', async () => {
      await ensureState('running');
      const host = (await current()).hosts.find((h) => h.enabled);
      assert.ok(host, 'the production has no enabled host');
      try {
        await client().setHostEnabled({ ...cmd(), host: host.name, enable: false });
        const off = (await current()).hosts.find((h) => h.name === host.name);
        assert.equal(off?.enabled, false);
        assert.equal(off?.status, 'disabled');
      } finally {
        await client().setHostEnabled({ ...cmd(), host: host.name, enable: true });
      }
      assert.equal((await current()).hosts.find((h) => h.name === host.name)?.enabled, true);
      await assert.rejects(client().setHostEnabled({ ...cmd(), host: 'IrisEdgeContract.NoSuchHost', enable: true }), IrisError);
    });

    it('sslConfigs: well-formed configurations; usedBy names hosts of the inventory', async () => {
      const [configs, snap] = [await client().sslConfigs(), await client().snapshot()];
      const names = new Set<string>();
      for (const c of configs) {
        assert.ok(c.name, 'a configuration without a name');
        assert.ok(!names.has(c.name), `duplicate configuration ${c.name}`);
        names.add(c.name);
        assert.ok(c.type === 'client' || c.type === 'server');
        assert.equal(typeof c.enabled, 'boolean');
        assert.ok(Number.isInteger(c.verifyPeer) && Number.isInteger(c.tlsMinVersion) && Number.isInteger(c.tlsMaxVersion));
        assert.ok(!('privateKeyPassword' in c), 'the key password must never come back');
        for (const u of c.usedBy) {
          const p = find(snap, { namespace: u.namespace, name: u.production });
          assert.ok(p, `${c.name} is used by ${u.namespace}/${u.production}, which the snapshot does not list`);
          assert.ok(p.hosts.some((h) => h.name === u.host), `${c.name} is used by ${u.host}, not a host of ${u.production}`);
        }
      }
    });

    it('applySslConfig creates, then modifies, the client configuration IrisEdgeContract', async () => {
      const name = 'IrisEdgeContract';
      const base = { name, type: 'client' as const, caFile: '', certificateFile: '', privateKeyFile: '', verifyPeer: 0, tlsMinVersion: 16, tlsMaxVersion: 32 };
      try {
        await client().applySslConfig({ ...base, description: 'IRIS Edge contract test (safe to delete)' });
        const created = (await client().sslConfigs()).find((c) => c.name === name);
        assert.ok(created, 'the created configuration is not listed');
        assert.equal(created.type, 'client');
        assert.equal(created.tlsMinVersion, 16);
        await client().applySslConfig({ ...base, tlsMinVersion: 32, description: 'IRIS Edge contract test, modified (safe to delete)' });
        const all = (await client().sslConfigs()).filter((c) => c.name === name);
        assert.equal(all.length, 1, 'modify must not create a second configuration');
        assert.equal(all[0]!.tlsMinVersion, 32);
        assert.match(all[0]!.description, /modified/);
        assert.equal(all[0]!.enabled, true);
      } finally {
        await subject.deleteSslConfig?.(name);
      }
    });

    it('databases: the system databases with directories and sizes; IRISTEMP scratch, IRISLIB read-only', async () => {
      const dbs = await client().databases();
      const byName = new Map(dbs.map((d) => [d.name, d]));
      for (const name of ['IRISSYS', 'IRISTEMP', 'IRISLIB', 'USER']) assert.ok(byName.has(name), `${name} is missing from ${[...byName.keys()].join(', ')}`);
      for (const d of dbs) {
        assert.ok(d.directory.startsWith('/') && d.directory.endsWith('/'), `${d.name}: directory "${d.directory}" is not an absolute directory`);
        assert.ok(Number.isInteger(d.sizeBytes) && d.sizeBytes >= 0);
      }
      assert.equal(byName.get('IRISLIB')?.readOnly, true);
      assert.equal(byName.get('IRISSYS')?.readOnly, false);
      assert.equal(byName.get('IRISSYS')?.mounted, true);
    });

    it('eventLog: the newest Error/Warning entries of the production, bounded, newest first, times in UTC', async () => {
      const entries = await client().eventLog(target().namespace, target().name);
      assert.ok(entries.length <= EVENT_LOG_LIMIT);
      const iris = await client().privileges([]);
      // $ZTIMESTAMP, UTC: an entry's time may not be later (a local time west of UTC taken for UTC would not be caught here, one east of it would).
      const irisNow = Date.parse(`${iris.time.utc.replace(' ', 'T')}Z`);
      for (const [i, e] of entries.entries()) {
        assert.ok(['error', 'warning'].includes(e.type));
        assert.ok(e.text.length <= EVENT_TEXT_MAX);
        assert.match(e.time, ISO_WITH_ZONE);
        assert.ok(Date.parse(e.time) <= irisNow + 60_000, `entry ${e.id} was logged at ${e.time}, after IRIS's clock (${iris.time.utc} UTC)`);
        if (i > 0) assert.ok(e.id < entries[i - 1]!.id, 'newest first');
      }
      await assert.rejects(client().eventLog('IRISEDGENOSUCHNS', target().name), (err: unknown) => err instanceof IrisError && !(err instanceof IrisUnavailableError));
    });

    it('searchMessages: message headers of the window, newest first, bounded, times in UTC; filters narrow it', async () => {
      const iris = await client().privileges([]);
      const irisNow = Date.parse(`${iris.time.utc.replace(' ', 'T')}Z`);
      // Ends a minute after IRIS's clock: a local time east of UTC taken for UTC lands after it.
      const window = { since: new Date(irisNow - 7 * 86_400_000).toISOString(), until: new Date(irisNow + 60_000).toISOString() };
      const base = { production: target().name, ...window, host: null, status: null, errorsOnly: false, limit: MESSAGE_SEARCH_LIMIT };
      const all = await client().searchMessages(target().namespace, base);
      assert.ok(all.messages.length <= MESSAGE_SEARCH_LIMIT);
      for (const [i, m] of all.messages.entries()) {
        assert.ok(MESSAGE_STATUSES.includes(m.status));
        assert.match(m.timeCreated, ISO_WITH_ZONE);
        const t = Date.parse(m.timeCreated);
        assert.ok(t >= Date.parse(window.since) && t <= irisNow + 60_000, `message ${m.id} was created at ${m.timeCreated}, outside the window or after IRIS's clock (${iris.time.utc} UTC)`);
        if (i > 0) assert.ok(m.id < all.messages[i - 1]!.id, 'newest first');
      }
      const one = await client().searchMessages(target().namespace, { ...base, limit: 1 });
      assert.deepEqual(one.messages.map((m) => m.id), all.messages.slice(0, 1).map((m) => m.id));
      assert.equal(one.more, all.messages.length > 1);
      for (const m of (await client().searchMessages(target().namespace, { ...base, errorsOnly: true })).messages) assert.equal(m.isError, true);
      for (const m of (await client().searchMessages(target().namespace, { ...base, status: 'completed' })).messages) assert.equal(m.status, 'completed');
      const host = all.messages[0]?.target;
      if (host) for (const m of (await client().searchMessages(target().namespace, { ...base, host })).messages) assert.ok([m.source, m.target].includes(host));
      await assert.rejects(client().searchMessages('IRISEDGENOSUCHNS', base), (err: unknown) => err instanceof IrisError && !(err instanceof IrisUnavailableError));
    });

    it('readSensors, as the sensors user: a SELECT reads; two statements, an UPDATE, a class outside the packages and a missing node fail each on its own', async (t) => {
      const sensors = subject.sensors;
      if (!sensors) return t.skip('no sensors login for this subject');
      const got = await sensors.readSensors('%SYS', [
        { key: 'one', kind: 'sql', query: 'SELECT 1', attributes: false },
        { key: 'two', kind: 'sql', query: 'SELECT 1; SELECT 2', attributes: false },
        { key: 'upd', kind: 'sql', query: "UPDATE INFORMATION_SCHEMA.TABLES SET TABLE_NAME = 'x' WHERE 1 = 0", attributes: false },
        { key: 'cls', kind: 'method', class: 'Other.Stats', method: 'Count' },
        { key: 'none', kind: 'global', name: 'IrisEdgeContractNone', subscripts: ['x', 1], count: false },
        { key: 'cnt', kind: 'global', name: 'IrisEdgeContractNone', subscripts: [], count: true },
      ], ['Orders']);
      assert.deepEqual(got.map((r) => r.key), ['one', 'two', 'upd', 'cls', 'none', 'cnt']);
      const [one, two, upd, cls, none, cnt] = got;
      assert.ok(one && 'ok' in one && one.ok && String(one.value) === '1', JSON.stringify(one));
      for (const r of [two, upd, cls, none]) assert.ok(r && 'ok' in r && !r.ok && r.text.length > 0, JSON.stringify(r));
      assert.match((cls as { text: string }).text, /not in a package/);
      assert.ok(cnt && 'ok' in cnt && cnt.ok && Number(cnt.value) === 0, JSON.stringify(cnt));
    });

    it('deliverHaEvent to a business service the namespace does not run answers the Ens code the delivery queue waits on', async () => {
      const json = JSON.stringify({ kind: 'event', event_type: 'iris_edge_contract', entity: '', old_state: '', new_state: '', attributes: null, data: {}, time: new Date().toISOString(), context_id: '' });
      await assert.rejects(client().deliverHaEvent(target().namespace, 'IrisEdgeContract.NoSuchService', json), (err: unknown) => {
        assert.ok(err instanceof IrisCommandRefusedError, `expected a refusal, got ${String(err)}`);
        assert.ok(isWaitError(err), `the delivery queue would drop the event instead of waiting: ${err.irisCode ?? ''} ${err.message}`);
        assert.match(err.irisCode ?? '', /^<Ens>Err(BusinessDispatchNameNotRegistered|ProductionNotRunning)$/);
        return true;
      });
    });

    it('takeHaCalls: the outboxes of IrisEdge.HA.Home answer with IRIS\'s UTC clock and no problem', async () => {
      const iris = await client().privileges([]);
      const taken = await client().takeHaCalls(10);
      assert.ok(taken.calls.length <= 10);
      assert.deepEqual(taken.problems, []);
      const irisNow = Date.parse(`${iris.time.utc.replace(' ', 'T')}Z`) / 1000;
      assert.ok(Math.abs(taken.now - irisNow) < 120, `now ${taken.now} is UTC seconds ($ZTIMESTAMP), IRIS says ${iris.time.utc} UTC`);
      assert.equal(await client().answerHaCall(target().namespace, 999_999_999, '1', '{"ok":true}'), false, 'an answer to a call nobody waits for is dropped');
    });

    it('a command for a production that does not exist fails with a typed error and changes nothing', async () => {
      const before = (await current()).state;
      const ghost = { namespace: target().namespace, production: 'IrisEdgeContract.NoSuchProduction' };
      for (const action of ['start', 'stop', 'restart'] as const) {
        await assert.rejects(client().control({ ...ghost, action }), (err: unknown) => {
          assert.ok(err instanceof IrisError, `expected an IrisError, got ${String(err)}`);
          assert.ok(!(err instanceof IrisUnavailableError), `IRIS answered; this is not "unavailable": ${String(err)}`);
          return true;
        });
      }
      assert.equal((await current()).state, before, 'a command for another production changed this one');
    });
  });
}
