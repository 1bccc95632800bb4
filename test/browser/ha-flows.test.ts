/**
 * The "Home Assistant ↔ IRIS" page in Chromium, behind the ingress-style proxy, on the bridge's own
 * two-way pipelines between the simulator's HOME production and a stand-in for Home Assistant's
 * websocket: a state change reaches the business service, an IrisEdge.HA.Home call reaches Home
 * Assistant, a call outside from_iris_actions is refused, and each appears on the open page
 * without a reload, at 360 px in dark mode without sideways scrolling.
 * Screenshots: .artifacts/browser/ha-flows-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { homeProduction } from '../../src/iris/simulator/ha-event-service.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { startHaFlowsRig, type HaFlowsRig } from '../support/ha-flows-rig.ts';
import { launchChromium, newViewPage, startHarness, type Harness } from './harness.ts';

const ART = join(process.cwd(), '.artifacts/browser');
let h: Harness;
let rig: HaFlowsRig;
let sim: IrisSimulator;
let browser: Browser;
const errors: string[] = [];

describe('the Home Assistant ↔ IRIS page in Chromium', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    sim = new IrisSimulator({ transitionMs: 1, productions: [homeProduction()] });
    rig = await startHaFlowsRig(sim);
    h = await startHarness({ mode: 'addon', proxy: true, sim, haFlows: rig.source });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    rig?.close();
    await h?.close();
    await sim?.close();
    assert.deepEqual(errors, []);
  });

  it('shows a message go each way and a refusal, live, with the allow-lists and their options', async () => {
    const { ctx, page } = await newViewPage(browser, { viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.ingress}#/home-assistant`);
    await page.locator('#flows-to-iris-empty').waitFor();
    assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Home Assistant ↔ IRIS');
    assert.match(await page.locator('#to-iris-allow').innerText(), /to_iris_entities\): input_boolean\.\*/);
    assert.match(await page.locator('#from-iris-allow').innerText(), /from_iris_actions\): input_number\.set_value/);
    assert.match(await page.locator('#from-iris-allow').innerText(), /from_iris_events\): none/);

    rig.stateChange('input_boolean.demo_switch', 'off', 'on');
    const toIris = page.locator('#flows-to-iris tr[data-subject="input_boolean.demo_switch"][data-outcome="delivered"]');
    await toIris.waitFor();
    assert.match(await toIris.innerText(), /off → on/);
    assert.match(await toIris.innerText(), /HomeAssistant in HOME/);
    assert.equal(sim.iris.haEvents.receivedBy('HOME', 'HomeAssistant').length, 1, 'the business service received it');

    const set = await sim.callHomeAssistant('HOME', { kind: 'action', domain: 'input_number', service: 'set_value', data: { value: 7, api_key: 'hunter2' }, target: { entity_id: 'input_number.demo_level' } }, 5);
    assert.equal(set.ok, true);
    const fromIris = page.locator('#flows-from-iris tr[data-subject="input_number.set_value"][data-outcome="delivered"]');
    await fromIris.waitFor();
    const shown = await fromIris.innerText();
    assert.match(shown, /"value":7/);
    assert.match(shown, /input_number\.demo_level/);
    assert.ok(!shown.includes('hunter2'), 'a secret-sounding key is masked');

    const refused = await sim.callHomeAssistant('HOME', { kind: 'action', domain: 'lock', service: 'unlock', target: { entity_id: 'lock.front_door' } }, 5);
    assert.equal(refused.ok, false);
    const row = page.locator('#flows-from-iris tr[data-subject="lock.unlock"][data-outcome="refused"]');
    await row.waitFor();
    assert.match(await row.innerText(), /not in the option from_iris_actions/);
    assert.equal(rig.haCalls.length, 1, 'Home Assistant was asked once: the refused call never reached it');
    await page.locator('#from-iris-counters [data-counter="refused"]', { hasText: '1' }).waitFor();
    assert.equal(await page.locator('#from-iris-counters [data-counter="delivered"]').innerText(), '1');
    assert.equal(await page.locator('#to-iris-counters [data-counter="delivered"]').innerText(), '1');

    const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok((sw as number) <= (cw as number), `no sideways scrolling (${sw} > ${cw})`);
    await page.screenshot({ path: join(ART, 'ha-flows-phone-dark.png'), fullPage: true });
    await ctx.close();
  });
});
