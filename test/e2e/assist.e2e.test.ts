/**
 * Assist against a REAL Home Assistant (test/e2e/harness): every sentence DOCS.md lists
 * (assist-sentences.ts), spoken in every form through /api/conversation/process, gets the
 * documented answer from the bridge on its simulator; a restart restarts, a refused one is said
 * to be refused and restarts nothing; the automation follows productions that come and go,
 * survives a Home Assistant restart, and goes when expose_to_assist is off.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { AssistAutomation } from '../../src/ha/assist-automation.ts';
import { ASSIST_AUTOMATION_ID } from '../../src/ha/assist-sentences.ts';
import { AutomationConfigApi } from '../../src/ha/automation-config.ts';
import { HaCore } from '../../src/ha/core.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { COOLDOWN_REFUSAL, expand, VOICE_ROWS } from './assist-sentences.ts';
import { artifactDirFor, endRun, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('assist');
/** Rows that command rather than ask: tested one by one below. */
const COMMAND_ROWS = /^(restart|\(stop|\(start)/;

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The cooldown refusal DOCS.md quotes, for `action` and `name`, with any number of seconds. */
function cooldownRefusal(action: string, name: string): RegExp {
  const said = COOLDOWN_REFUSAL.replace('restart', action).replace('Orders production', name);
  return new RegExp(`^${escaped(said).replace('57', '\\d+')}$`);
}
const NS = 'ORDERS';
const ORDERS = 'Orders.Production';

let broker: Mosquitto;
let ha: HomeAssistant;
let sim: IrisSimulator;
let bridge: RunningBridge | undefined;
const logLines: string[] = [];

async function say(text: string): Promise<string> {
  const r = await ha.converse(text);
  return r.response.speech?.plain?.speech ?? `(no speech: ${JSON.stringify(r.response)})`;
}

async function stateOf(entityId: string): Promise<string | undefined> {
  return (await ha.state(entityId))?.state;
}

function automation(): Promise<Record<string, unknown> | null> {
  return new AutomationConfigApi({ url: ha.url, token: ha.token }).get(ASSIST_AUTOMATION_ID);
}

/** Each form of a DOCS.md sentence, with the production's other name too. */
function forms(says: string): string[] {
  return expand(says).flatMap((s) => [s, s.replace('Orders production', 'Orders interface')]);
}

before(async () => {
  broker = await Mosquitto.start();
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir, automations: true });
  sim = new IrisSimulator({ transitionMs: 300 });
  const { log, lines } = captureLogger();
  lines.push = (...l: string[]) => logLines.push(...l);
  bridge = await startBridge(
    testConfig({
      mqtt: { source: 'default', url: broker.url },
      pollIntervalMs: 500,
      exposeToAssist: true,
      commandCooldownMs: 600_000,
      homeAssistant: { url: ha.url, token: ha.token },
    }),
    log,
    { iris: sim, birthJitterMs: 500 },
  );
  await ha.waitFor(async () => (await ha.states()).find((s) => s.attributes.id === ASSIST_AUTOMATION_ID), 60_000, 'the IRIS Edge voice automation');
});

after(() => endRun({ stopBridge: async () => bridge?.stop(), ha, broker, artifactDir, bridgeLog: logLines }));

describe('Assist and productions in the real Home Assistant', () => {
  it('answers every question DOCS.md lists, in every form, with what IRIS reports', async () => {
    sim.setQueue(NS, ORDERS, 'Orders.Router', 3);
    sim.failMessage(NS, ORDERS, 'HL7.Out.Lab', 2);
    await ha.waitFor(async () => (await stateOf('sensor.orders_production_errors')) === '2' && (await stateOf('sensor.orders_production_queue')) === '3', 15_000, 'the errors and queue in HA');
    let spoken = 0;
    for (const row of VOICE_ROWS.filter((r) => !COMMAND_ROWS.test(r.says))) {
      for (const text of forms(row.says)) {
        assert.equal(await say(text), row.answer, `"${text}"`);
        spoken++;
      }
    }
    assert.ok(spoken >= 30, `${spoken} sentences`);
    // The switch is exposed for "turn off"; the restart button is not (a press cannot say "refused").
    const exposed = await ha.connection.sendMessagePromise<{ exposed_entities: Record<string, { conversation?: boolean }> }>({ type: 'homeassistant/expose_entity/list' });
    assert.equal(exposed.exposed_entities['switch.orders_production']?.conversation, true);
    assert.notEqual(exposed.exposed_entities['button.orders_production_restart']?.conversation, true);
  });

  it("answers to an alias the user gives the production's switch in Home Assistant", async () => {
    const entry = await ha.connection.sendMessagePromise<{ aliases: (string | null)[] }>({ type: 'config/entity_registry/get', entity_id: 'switch.orders_production' });
    await ha.connection.sendMessagePromise({ type: 'config/entity_registry/update', entity_id: 'switch.orders_production', aliases: [...entry.aliases, 'Purchase orders'] });
    await ha.waitFor(async () => JSON.stringify((await automation())?.triggers).includes('Purchase orders'), 15_000, 'the alias in the automation');
    // Home Assistant answers the editor's POST before it has reloaded the automation (a task it
    // starts), so until then the built-in intent answers the alias ("… is on").
    await ha.waitFor(async () => (await say('what is the status of purchase orders')) === 'Orders production is running.', 15_000, 'the alias answered by the reloaded automation');
    assert.equal(await say('how many messages are waiting in the Purchase orders'), '3 messages are waiting in Orders production.');
  });

  it('restarts, and then says the cooldown refused the next restart and restarts nothing', async () => {
    const row = VOICE_ROWS.find((r) => r.says.startsWith('restart'));
    assert.ok(row);
    const [first, ...others] = forms(row.says);
    assert.ok(first && others.length >= 3);
    assert.equal(await say(first), row.answer, `"${first}"`);
    // IRIS restarted it: StartProduction clears the hosts' error counts.
    assert.equal(await say('how many errors does Orders production have'), 'Orders production has no errors.');

    sim.failMessage(NS, ORDERS, 'HL7.Out.Lab', 1);
    await ha.waitFor(async () => (await stateOf('sensor.orders_production_errors')) === '1', 15_000, 'one error in HA');
    for (const text of others) assert.match(await say(text), cooldownRefusal('restart', 'Orders production'), `"${text}"`);
    // Nothing restarted: the error is still there, and the production still runs.
    assert.equal(await say('how many errors does Orders production have'), 'Orders production has 1 error.');
    assert.equal(sim.stateOf(NS, ORDERS), 'running');
    assert.ok(logLines.some((l) => l.includes(`Refused restart ${NS}/${ORDERS} from Assist`)), 'the refusal is in the log');
  });

  it('stops and starts, and says a refused stop, a start with nothing to do and an IRIS refusal', async () => {
    const lab = (text: string) => text.replace('Orders production', 'Lab Results production');
    const [stop, start] = ['(stop', '(start'].map((p) => VOICE_ROWS.find((r) => r.says.startsWith(p)));
    assert.ok(stop && start);
    const [firstStop, ...otherStops] = expand(stop.says).map(lab);
    const [firstStart, ...otherStarts] = expand(start.says).map(lab);
    assert.ok(firstStop && firstStart && otherStops.length >= 3 && otherStarts.length >= 3);
    assert.equal(await say(firstStop), lab(stop.answer), `"${firstStop}"`);
    assert.equal(sim.stateOf('LAB', 'Lab.Results.Production'), 'stopped');
    assert.equal(await say(firstStart), lab(start.answer), `"${firstStart}"`);
    assert.equal(sim.stateOf('LAB', 'Lab.Results.Production'), 'running');
    for (const text of otherStarts) assert.equal(await say(text), 'I did not start Lab Results production: it is already running.', `"${text}"`);
    for (const text of otherStops) assert.match(await say(text), cooldownRefusal('stop', 'Lab Results production'), `"${text}"`);
    assert.equal(sim.stateOf('LAB', 'Lab.Results.Production'), 'running');
    // IRIS runs one production per namespace: StartProduction refuses, and Assist says so.
    assert.match(await say('start Orders Replay production'), /^IRIS refused to start Orders Replay production: .*already running/);
    assert.equal(sim.stateOf(NS, 'Orders.Replay.Production'), 'stopped');
  });

  it('says when a production is troubled', async () => {
    sim.makeTroubled(NS, ORDERS);
    await ha.waitFor(async () => (await stateOf('binary_sensor.orders_production_troubled')) === 'on', 15_000, 'troubled in HA');
    assert.equal(await say('is the Orders production troubled'), 'Yes, Orders production is troubled.');
    assert.equal(await say("what's the status of Orders interface"), 'Orders production is troubled.');
    // Names are not case-sensitive (DOCS.md).
    assert.equal(await say('IS THE orders production TROUBLED'), 'Yes, Orders production is troubled.');
  });

  it('follows productions that come and go', async () => {
    assert.equal(await say('what is the status of Lab Results production'), 'Lab Results production is running.');
    sim.removeProduction('LAB', 'Lab.Results.Production');
    // In a namespace the bridge's role can read (one per namespace runs: this one is stopped).
    sim.addProduction({ namespace: NS, name: 'Billing.Production', running: false, hosts: [{ name: 'Billing.In', className: 'EnsLib.File.PassthroughService', kind: 'service' }] });
    await ha.waitFor(async () => {
      const ids = ((await automation())?.triggers as { id: string }[] | undefined)?.map((t) => t.id) ?? [];
      return ids.some((id) => id.includes('Billing.Production')) && !ids.some((id) => id.includes('Lab.Results.Production'));
    }, 30_000, 'the automation to follow the productions');
    assert.equal(await say('what is the status of Billing production'), 'Billing production is stopped.');
    assert.doesNotMatch(await say('what is the status of Lab Results production'), /Lab Results production is/);
  });

  it('keeps working after Home Assistant restarts', async () => {
    await ha.restart();
    const answer = await ha.waitFor(async () => {
      const s = await say('how many messages are waiting in Orders production');
      return s === '3 messages are waiting in Orders production.' ? s : undefined;
    }, 120_000, 'an answer after the restart');
    assert.ok(answer);
  });

  it('removes the automation when expose_to_assist is off', async () => {
    const { log } = captureLogger();
    const core = HaCore.start({ url: ha.url, token: ha.token }, log);
    try {
      await once(core, 'ready', { signal: AbortSignal.timeout(30_000) });
      const monitors = new Map(bridge!.instances.map((i) => [i.id, i.monitor]));
      const off = new AssistAutomation(core, new AutomationConfigApi({ url: ha.url, token: ha.token }), monitors, false, log, { debounceMs: 0 });
      off.start();
      await ha.waitFor(async () => (await automation()) === null, 15_000, 'the automation to be removed');
      off.stop();
      await ha.waitFor(async () => !(await ha.states()).some((s) => s.attributes.id === ASSIST_AUTOMATION_ID), 15_000, 'its entity to go');
      assert.doesNotMatch(await say('restart Orders production'), /restart/i);
    } finally {
      core.close();
    }
  });
});
