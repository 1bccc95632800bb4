import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { AssistExposure, productionAliases, restartAliases } from '../../src/ha/assist.ts';
import { HaCore } from '../../src/ha/core.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { FakeHa } from '../support/fake-ha.ts';
import { captureLogger, waitFor, within } from '../support/fixtures.ts';

describe('productionAliases', () => {
  it('names a production the way people say it', () => {
    assert.deepEqual(productionAliases('Orders.Production'), ['Orders production', 'Orders interface']);
    assert.deepEqual(productionAliases('Lab.Results.Production'), ['Lab Results production', 'Lab Results interface']);
  });

  it('drops a "Production" suffix and splits camel case and separators', () => {
    assert.deepEqual(productionAliases('Demo.OrdersProduction'), ['Demo Orders production', 'Demo Orders interface']);
    assert.deepEqual(productionAliases('HL7Router.ADT_Feed.production'), ['HL7 Router ADT Feed production', 'HL7 Router ADT Feed interface']);
    assert.deepEqual(productionAliases('Billing.Main'), ['Billing Main production', 'Billing Main interface']);
  });

  it('has no aliases for a class that is nothing but "Production"', () => {
    assert.deepEqual(productionAliases('Production'), []);
    assert.deepEqual(productionAliases(''), []);
  });

  it('knows the aliases earlier releases gave the restart button, to remove them', () => {
    assert.deepEqual(restartAliases('Orders.Production'), ['Orders production restart', 'Orders interface restart']);
  });
});

describe('AssistExposure', () => {
  const topics = new Topics('iris');
  const orders = { namespace: 'ORDERS', name: 'Orders.Production' };
  const lab = { namespace: 'LAB', name: 'Lab.Results.Production' };
  let fake: FakeHa;
  let core: HaCore;

  afterEach(async () => {
    core.close();
    await fake.close();
  });

  async function setup() {
    fake = await FakeHa.start();
    const { log, lines } = captureLogger();
    core = HaCore.start({ url: fake.url, token: fake.token }, log, { retryDelaysMs: [50] });
    await within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
    return { log, lines };
  }

  function register(p: { namespace: string; name: string }, base: string) {
    const id = topics.productionDeviceId(p);
    fake.addEntity({ entity_id: `switch.${base}`, unique_id: `${id}_running`, platform: 'mqtt' });
    fake.addEntity({ entity_id: `button.${base}_restart`, unique_id: `${id}_restart`, platform: 'mqtt' });
  }

  it('exposes the switch with aliases and hides the restart button, once per entity', async () => {
    const { log } = await setup();
    register(orders, 'orders_production');
    const assist = new AssistExposure(core, topics, true, log, { retryDelayMs: 20 });
    await assist.sync([orders]);
    assert.equal(fake.exposed.get('switch.orders_production'), true);
    // A press cannot say that the cooldown refused it: restarts go through the voice automation.
    assert.equal(fake.exposed.get('button.orders_production_restart'), false);
    assert.deepEqual(fake.entities.get('switch.orders_production')?.aliases, ['Orders production', 'Orders interface']);
    assert.deepEqual(fake.entities.get('button.orders_production_restart')?.aliases, []);
    const calls = fake.received.length;
    await assist.sync([orders]);
    assert.equal(fake.received.length, calls, 'nothing sent the second time');
    // A new production: only its entities are handled.
    register(lab, 'lab_results_production');
    await assist.sync([orders, lab]);
    assert.deepEqual(fake.ofType('homeassistant/expose_entity').flatMap((m) => m.entity_ids as string[]), [
      'switch.orders_production',
      'button.orders_production_restart',
      'switch.lab_results_production',
      'button.lab_results_production_restart',
    ]);
    // After reset() (HA reconnected) everything is applied again.
    assist.reset();
    await assist.sync([orders, lab]);
    assert.equal(fake.ofType('homeassistant/expose_entity').length, 8);
  });

  it("removes the restart aliases earlier releases gave the button, keeping the user's own", async () => {
    const { log } = await setup();
    register(orders, 'orders_production');
    const button = fake.entities.get('button.orders_production_restart');
    assert.ok(button);
    button.aliases = ['Orders production restart', 'Reboot orders', 'orders interface RESTART', null];
    await new AssistExposure(core, topics, true, log).sync([orders]);
    assert.deepEqual(button.aliases, ['Reboot orders', null]);
  });

  it('waits for entities HA has not registered yet', async () => {
    const { log } = await setup();
    const assist = new AssistExposure(core, topics, true, log, { retryDelayMs: 50, attempts: 6 });
    const done = assist.sync([orders]);
    // Registered only after a look-up has missed them, so the sync must have waited for them.
    await waitFor(() => fake.ofType('config/entity_registry/list').length > 0, 2000, 'a look-up in the entity registry');
    register(orders, 'orders_production');
    await done;
    assert.equal(fake.exposed.get('switch.orders_production'), true);
    assert.equal(fake.exposed.get('button.orders_production_restart'), false);
  });

  it('gives up on an entity that never appears, with one warning', async () => {
    const { log, lines } = await setup();
    const assist = new AssistExposure(core, topics, true, log, { retryDelayMs: 5, attempts: 3 });
    await assist.sync([orders]);
    assert.equal(fake.ofType('homeassistant/expose_entity').length, 0);
    assert.equal(lines.filter((l) => l.includes('has no entity with unique id')).length, 2, lines.join('\n'));
  });

  it("hides both entities from Assist when the option is off and removes IRIS Edge's aliases only", async () => {
    const { log } = await setup();
    register(orders, 'orders_production');
    const sw = fake.entities.get('switch.orders_production');
    assert.ok(sw);
    sw.aliases = ['Orders production', 'My orders', 'Orders interface'];
    const assist = new AssistExposure(core, topics, false, log);
    await assist.sync([orders]);
    assert.equal(fake.exposed.get('switch.orders_production'), false);
    assert.equal(fake.exposed.get('button.orders_production_restart'), false);
    assert.deepEqual(sw.aliases, ['My orders']);
    // Nothing of ours left on the button: its aliases are not written.
    assert.equal(fake.ofType('config/entity_registry/update').length, 1);
  });

  it('leaves entities for later when HA is not connected', async () => {
    const { log } = await setup();
    register(orders, 'orders_production');
    const down = within(once(core, 'disconnected'), 10_000, 'the connection to Home Assistant to drop');
    await fake.stopServer();
    await down;
    const assist = new AssistExposure(core, topics, true, log);
    await assist.sync([orders]);
    assert.equal(fake.exposed.size, 0);
    const up = within(once(core, 'ready'), 10_000, 'Home Assistant to be connected');
    await fake.startServer();
    await up;
    await assist.sync([orders]);
    assert.equal(fake.exposed.get('switch.orders_production'), true, 'retried on the next sync');
  });
});
