import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { AssistAutomation, type ViewFeed } from '../../src/ha/assist-automation.ts';
import { ASSIST_AUTOMATION_ID, ASSIST_QUESTIONS } from '../../src/ha/assist-sentences.ts';
import { HaCommandError, HaCore } from '../../src/ha/core.ts';
import { DeviceIds } from '../../src/model/ids.ts';
import type { MonitorView } from '../../src/model/view.ts';
import { FakeHa } from '../support/fake-ha.ts';
import { captureLogger, productionView, waitFor, within } from '../support/fixtures.ts';

class Feed extends EventEmitter<{ view: [MonitorView] }> implements ViewFeed {
  view: MonitorView;
  constructor(names: string[], inventoried = true) {
    super();
    this.view = this.make(names, inventoried);
  }
  make(names: string[], inventoried = true): MonitorView {
    return { reachable: inventoried, inventoried, instance: null, metrics: null, productions: names.map((n) => productionView(n, 'running')) };
  }
  set(names: string[], inventoried = true): void {
    this.view = this.make(names, inventoried);
    this.emit('view', this.view);
  }
}

/** The automation editor API as Home Assistant keeps it: one stored config per id. */
class FakeApi {
  stored = new Map<string, Record<string, unknown>>();
  writes = 0;
  removes = 0;
  refuse: Error | undefined;
  async get(id: string) {
    return structuredClone(this.stored.get(id)) ?? null;
  }
  async put(id: string, config: Record<string, unknown>) {
    if (this.refuse) throw this.refuse;
    this.writes++;
    this.stored.set(id, structuredClone(config));
  }
  async remove(id: string) {
    this.removes++;
    this.stored.delete(id);
  }
}

let fake: FakeHa;
let core: HaCore;
afterEach(async () => {
  core.close();
  await fake.close();
});

async function setup(feeds: Record<string, Feed>, expose = true) {
  fake = await FakeHa.start();
  // Home Assistant loaded the automation: its entity is there.
  fake.addEntity({ entity_id: 'automation.iris_edge_voice', unique_id: ASSIST_AUTOMATION_ID, platform: 'automation' });
  const { log, lines } = captureLogger();
  core = HaCore.start({ url: fake.url, token: fake.token }, log, { retryDelaysMs: [50] });
  await within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
  const api = new FakeApi();
  const automation = new AssistAutomation(core, api, new Map(Object.entries(feeds)), expose, log, { debounceMs: 0, loadCheckDelaysMs: [5] });
  return { api, automation, lines };
}

function ids(api: FakeApi): string[] {
  return ((api.stored.get(ASSIST_AUTOMATION_ID)?.triggers as { id: string }[] | undefined) ?? []).map((t) => t.id);
}

describe('AssistAutomation', () => {
  it('writes the sentences of every production once, and again only when productions change', async () => {
    const iris = new Feed(['Orders.Production', 'Lab.Results.Production']);
    const { api, automation } = await setup({ iris });
    automation.start();
    await automation.flush();
    assert.equal(api.writes, 1);
    assert.equal(ids(api).length, 2 * ASSIST_QUESTIONS.length);
    iris.set(['Orders.Production', 'Lab.Results.Production']);
    await automation.flush();
    assert.equal(api.writes, 1, 'the same productions: nothing written');
    iris.set(['Orders.Production']);
    await automation.flush();
    assert.equal(api.writes, 2);
    assert.ok(ids(api).every((id) => id.endsWith('|Orders.Production')));
    automation.stop();
  });

  it('puts back a hand-edited automation after Home Assistant reconnects, and leaves an unchanged one alone', async () => {
    const iris = new Feed(['Orders.Production']);
    const { api, automation } = await setup({ iris });
    automation.start();
    await automation.flush();
    const reconnect = async () => {
      const up = within(once(core, 'ready'), 10_000, 'the reconnect');
      fake.dropConnections();
      await up;
      await automation.flush();
    };
    await reconnect();
    assert.equal(api.writes, 1, 'unchanged: not written again');
    api.stored.set(ASSIST_AUTOMATION_ID, { ...api.stored.get(ASSIST_AUTOMATION_ID), triggers: [] });
    await reconnect();
    assert.equal(api.writes, 2);
    assert.equal(ids(api).length, ASSIST_QUESTIONS.length);
    automation.stop();
  });

  it('keeps the sentences of an instance not inventoried yet (IRIS down at the start)', async () => {
    const iris = new Feed(['Orders.Production']);
    const office = new Feed([], false);
    const { api, automation } = await setup({ iris, office });
    api.stored.set(ASSIST_AUTOMATION_ID, {
      triggers: [{ trigger: 'conversation', id: 'status|office|ADT|Adt.Production', command: ['how is [the] (Adt production) doing'] }],
    });
    automation.start();
    await automation.flush();
    assert.ok(ids(api).includes('status|office|ADT|Adt.Production'), 'kept');
    // Once inventoried, what IRIS has is what counts.
    office.set([]);
    await automation.flush();
    assert.ok(!ids(api).some((id) => id.includes('|office|')));
    automation.stop();
  });

  it('removes the automation when the option is off, and when no production is left', async () => {
    const iris = new Feed(['Orders.Production']);
    const off = await setup({ iris }, false);
    off.api.stored.set(ASSIST_AUTOMATION_ID, { triggers: [] });
    off.automation.start();
    await off.automation.flush();
    assert.equal(off.api.stored.size, 0);
    assert.equal(off.api.writes, 0);
    off.automation.stop();
    core.close();
    await fake.close();

    const on = await setup({ iris });
    on.automation.start();
    await on.automation.flush();
    assert.equal(on.api.stored.size, 1);
    iris.set([]);
    await on.automation.flush();
    assert.equal(on.api.stored.size, 0);
    assert.equal(on.api.removes, 1);
    on.automation.stop();
  });

  it('warns once when Home Assistant refuses it, and when it does not load it', async () => {
    const iris = new Feed(['Orders.Production']);
    const { api, automation, lines } = await setup({ iris });
    api.refuse = new HaCommandError('POST automation config', '400', 'Message malformed');
    automation.start();
    await automation.flush();
    iris.set(['Orders.Production', 'Lab.Results.Production']);
    await automation.flush();
    assert.equal(lines.filter((l) => l.includes('Home Assistant refused the Assist automation')).length, 1, lines.join('\n'));
    api.refuse = undefined;
    fake.entities.delete('automation.iris_edge_voice');
    iris.set(['Orders.Production']);
    await automation.flush();
    assert.equal(lines.filter((l) => l.includes('did not load the "IRIS Edge voice" automation')).length, 1, lines.join('\n'));
    automation.stop();
  });

  it("adds the names people gave the production's switch in Home Assistant, and follows changes to them", async () => {
    const iris = new Feed(['Orders.Production']);
    const { api, automation, lines } = await setup({ iris });
    const uid = `${new DeviceIds('iris').productionDeviceId({ namespace: 'ORDERS', name: 'Orders.Production' })}_running`;
    fake.addEntity({ entity_id: 'switch.orders_production', unique_id: uid, platform: 'mqtt', aliases: ['Orders production', null, 'Purchase orders', "Bob's feed"] });
    automation.start();
    await automation.flush();
    const restart = () => (api.stored.get(ASSIST_AUTOMATION_ID)?.triggers as { id: string; command: string[] }[]).find((t) => t.id.startsWith('restart|'))?.command;
    assert.deepEqual(restart(), ['restart [the] (Orders production|Orders interface|Purchase orders)']);
    assert.equal(lines.filter((l) => l.includes(`the alias "Bob's feed" of switch.orders_production`)).length, 1, lines.join('\n'));
    // The user adds an alias: Home Assistant says so on its bus.
    const sw = fake.entities.get('switch.orders_production');
    assert.ok(sw);
    sw.aliases = ['Orders production', 'Purchase orders', 'Order desk'];
    fake.emitEvent('entity_registry_updated', { action: 'update', entity_id: 'switch.orders_production', changes: { aliases: ['Orders production', 'Purchase orders'] } });
    await waitFor(() => restart()?.[0]?.includes('Order desk'), 5000, 'the new alias in the automation');
    // Renamed entity: found again by its unique id.
    fake.entities.delete('switch.orders_production');
    fake.addEntity({ entity_id: 'switch.purchasing', unique_id: uid, platform: 'mqtt', aliases: ['Purchasing'] });
    fake.emitEvent('entity_registry_updated', { action: 'update', entity_id: 'switch.purchasing', old_entity_id: 'switch.orders_production', changes: { entity_id: 'switch.orders_production' } });
    await waitFor(() => restart()?.[0] === 'restart [the] (Orders production|Orders interface|Purchasing)', 5000, 'the renamed switch aliases');
    // A production whose switch HA registers after the sync: followed from its registration on.
    iris.set(['Orders.Production', 'Lab.Results.Production']);
    await automation.flush();
    const labUid = `${new DeviceIds('iris').productionDeviceId({ namespace: 'ORDERS', name: 'Lab.Results.Production' })}_running`;
    fake.addEntity({ entity_id: 'switch.lab_results_production', unique_id: labUid, platform: 'mqtt', aliases: ['Results'] });
    fake.emitEvent('entity_registry_updated', { action: 'create', entity_id: 'switch.lab_results_production' });
    const labRestart = () => (api.stored.get(ASSIST_AUTOMATION_ID)?.triggers as { id: string; command: string[] }[]).find((t) => t.id === 'restart|iris|ORDERS|Lab.Results.Production')?.command;
    await waitFor(() => labRestart()?.[0]?.includes('Results)'), 5000, 'the late switch aliases');
    // Other entities and other kinds of change cost nothing.
    const writes = api.writes;
    fake.emitEvent('entity_registry_updated', { action: 'update', entity_id: 'light.kitchen', changes: { aliases: [] } });
    fake.emitEvent('entity_registry_updated', { action: 'update', entity_id: 'switch.purchasing', changes: { icon: null } });
    fake.emitEvent('entity_registry_updated', 'junk');
    await automation.flush();
    assert.equal(api.writes, writes);
    automation.stop();
  });

  it('leaves out a name two productions share, with one warning', async () => {
    const iris = new Feed(['Orders.Production']);
    const office = new Feed(['Orders.Production']);
    const { api, automation, lines } = await setup({ iris, office });
    automation.start();
    await automation.flush();
    assert.equal(api.stored.size, 0, 'no sentence is left, so no automation');
    assert.equal(lines.filter((l) => l.includes('more than one production is called')).length, 1, lines.join('\n'));
    automation.stop();
  });
});
