/**
 * The Home Assistant ↔ IRIS route and its live feed messages, from outside the panel: the view is
 * bounded whatever flowed (the last 50 each way), a flood of outcomes in one burst costs the feed
 * two messages (the first change at once, the last after the pace), and a panel without the
 * two-way link says so with a 503.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { haFlowsSource } from '../../src/compose/ha-flows.ts';
import { HaFlowRecord } from '../../src/ha/flow-record.ts';
import { HA_FLOW_KEPT, type HaFlowsView } from '../../src/model/ha-flow.ts';
import { testConfig, waitFor } from '../support/fixtures.ts';
import { startPanelRig, type PanelRig } from '../support/panel-rig.ts';

const rigs: PanelRig[] = [];
after(async () => {
  for (const r of rigs) await r.close();
});

describe('api/ha-flows and the feed', () => {
  it('a burst of 10,000 outcomes is two feed messages, and the view keeps the last 50 each way', async () => {
    const record = new HaFlowRecord();
    const rig = await startPanelRig({ haFlows: haFlowsSource(testConfig(), record, undefined, undefined) });
    rigs.push(rig);
    const ws = new WebSocket(rig.panel.url.replace('http', 'ws') + 'api/feed');
    const flows: HaFlowsView[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string; flows?: HaFlowsView };
      if (m.type === 'ha-flows' && m.flows) flows.push(m.flows);
    });
    await new Promise((resolve) => ws.once('message', resolve));
    for (let i = 0; i < 10_000; i += 1) {
      record.add('to-iris', { outcome: 'delivered', subject: `sensor.s${i}`, target: 'HomeAssistant in USER', detail: null, preview: '{"x":1}' });
    }
    await waitFor(() => flows.some((f) => f.toIris.counters.delivered === 10_000), 10_000, 'the last change on the feed');
    assert.equal(flows.length, 2, 'the first change at once, the rest in one paced message');
    assert.equal(flows[0]?.toIris.counters.delivered, 1);
    const view = (await (await fetch(`${rig.panel.url}api/ha-flows`)).json()) as HaFlowsView;
    assert.equal(view.toIris.recent.length, HA_FLOW_KEPT);
    assert.equal(view.toIris.recent[0]?.subject, 'sensor.s9999');
    assert.deepEqual(view.fromIris.recent, []);
    ws.close();
  });

  it('without the two-way link the route answers 503 saying so', async () => {
    const rig = await startPanelRig();
    rigs.push(rig);
    const r = await fetch(`${rig.panel.url}api/ha-flows`);
    assert.equal(r.status, 503);
    assert.match(((await r.json()) as { message: string }).message, /does not carry traffic between Home Assistant and IRIS/);
  });
});
