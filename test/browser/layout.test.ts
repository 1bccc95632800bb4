/**
 * Every page of the panel at phone (360 px) and desk (1280 px) width, light and dark, with the
 * long names real installations have (productions, hosts, SSL/TLS configurations, certificates,
 * log lines without a space to break at): the page never scrolls sideways (tables scroll inside
 * their card), no element is wider than the window, the page's heading shows, no id is used twice,
 * and text keeps a WCAG AA contrast with what is behind it (see measure() for light mode).
 * Screenshots: .artifacts/browser/layout-<page>-<width>-<scheme>.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { BackupService } from '../../src/backups/service.ts';
import { IrisSimulator, demoScenario } from '../../src/iris/simulator/index.ts';
import { SimulatedDatabases } from '../../src/iris/simulator/databases.ts';
import { DEMO_SSL_SETTINGS, demoSslConfigs } from '../../src/iris/simulator/ssl.ts';
import { homeProduction } from '../../src/iris/simulator/ha-event-service.ts';
import { startHaFlowsRig, type HaFlowsRig } from '../support/ha-flows-rig.ts';
import { launchChromium, newViewPage, startHarness, type Harness } from './harness.ts';
import { layoutProbe, type LayoutReport } from './layout-probe.ts';

const ART = join(process.cwd(), '.artifacts/browser');

// Names as long as people make them, mostly without a space to wrap at.
const NS = 'LABRESULTS';
const PRODUCTION = 'Laboratory.Results.RegionalHospitalNetworkExternalPartnerInterfaceProduction';
const HOST = 'HL7.Out.RegionalHospitalNetworkLaboratoryResultsToExternalPartnerTCPOperation';
const SSL = 'RegionalHospitalNetworkLaboratoryPartnerClientTLSConfiguration2026';
const CA_NAME = 'Regional Hospital Network Laboratory Results Partner Certificate Authority (lab, 2026)';
const CA_CN = 'regional-hospital-network-laboratory-results-partner-ca.example';
const LEAF_NAME = 'RegionalHospitalNetworkLaboratoryResultsPartnerServerCertificate2026';
const ENTITY = 'input_boolean.regional_hospital_network_laboratory_results_partner_interface_maintenance_mode';

let h: Harness;
let browser: Browser;
let backups: BackupService;
let sim: IrisSimulator;
let flows: HaFlowsRig;
let leafId = '';
const errors: string[] = [];

async function post<T>(path: string, body: unknown): Promise<T> {
  const r = await fetch(`${h.ingress}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-iris-edge': '1' }, body: JSON.stringify(body) });
  const text = await r.text();
  assert.ok(r.ok, `${path}: ${r.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Each page, what shows it has its data (not "Loading…"), and the dialog it opens with the long
 * names in it (measured open, then dismissed with Esc).
 */
const PAGES: { name: string; hash: () => string; ready: string; dialog?: { open: string; shown: string } }[] = [
  { name: 'overview', hash: () => '#/', ready: `[data-production="${NS}/${PRODUCTION}"]` },
  { name: 'production', hash: () => `#/production/iris/${NS}/${encodeURIComponent(PRODUCTION)}`, ready: `tr[data-host="${HOST}"]`, dialog: { open: '[data-action="restart"]', shown: 'dialog#confirm' } },
  { name: 'certificates', hash: () => '#/certificates', ready: `[data-ssl="${SSL}"]`, dialog: { open: `[data-restart="${SSL}"]`, shown: 'dialog#confirm' } },
  { name: 'certificate-ssl', hash: () => `#/certificates/${encodeURIComponent(leafId)}`, ready: '#ssl-apply-btn' },
  { name: 'backups', hash: () => '#/backups', ready: 'tr[data-backup]', dialog: { open: 'tr[data-backup] [data-action="restore"]', shown: 'dialog#restore-dialog' } },
  { name: 'diagnostics', hash: () => '#/diagnostics', ready: 'tr[data-check]' },
  { name: 'connect', hash: () => '#/connect', ready: '#account-reveal' },
  { name: 'logs', hash: () => '#/logs', ready: '#loglines li.log' },
  { name: 'sensors', hash: () => '#/sensors', ready: 'tr[data-sensor] [data-delete]', dialog: { open: 'tr[data-sensor] [data-delete]', shown: 'dialog#confirm' } },
  { name: 'home-assistant', hash: () => '#/home-assistant', ready: '#flows-from-iris tr[data-outcome="refused"]' },
];

/**
 * Dark mode: every text on the page. Light mode: the page's content and dialogs; the top bar keeps
 * Home Assistant's own header colours (white on #03a9f4, as HA's default light theme has them).
 */
async function measure(page: Page, scheme: 'light' | 'dark'): Promise<LayoutReport> {
  return (await page.evaluate(layoutProbe(scheme === 'dark' ? 'body' : 'main, dialog'))) as LayoutReport;
}

describe('every page at 360 and 1280 px, light and dark', () => {
  before(async () => {
    mkdirSync(ART, { recursive: true });
    const root = mkdtempSync(join(tmpdir(), 'layout-browser-'));
    const databases = new SimulatedDatabases(join(root, 'iris'), { namespaces: ['ORDERS', NS], writeIntervalMs: 0 });
    sim = new IrisSimulator({
      databases,
      transitionMs: 0,
      productions: [
        ...demoScenario(),
        homeProduction(),
        {
          namespace: NS,
          name: PRODUCTION,
          running: true,
          hosts: [
            { name: HOST, className: 'Regional.Hospital.Network.Laboratory.Operation.PartnerResultsTCPOperationWithAcknowledgement', kind: 'operation' },
            { name: 'Results.Router', className: 'EnsLib.HL7.MsgRouter.RoutingEngine', kind: 'process' },
          ],
        },
      ],
      sslConfigs: [...demoSslConfigs(), { name: SSL, description: 'Client TLS to the regional hospital network’s laboratory results partner, mutual TLS with the 2026 certificate', type: 'client', enabled: true, caFile: '/usr/irissys/mgr/regional-hospital-network-laboratory-partner-ca-bundle-2026.pem', certificateFile: '', privateKeyFile: '', verifyPeer: 1, tlsMinVersion: 16, tlsMaxVersion: 32 }],
      sslSettings: { ...DEMO_SSL_SETTINGS, [`${NS}/${PRODUCTION}/${HOST}`]: SSL },
    });
    backups = new BackupService({
      dir: join(root, 'backups'),
      stateDir: join(root, 'state'),
      instanceId: 'iris',
      iris: sim,
      control: { ...sim.owner, start: async () => sim.startInstance() },
      bridgeVersion: 'test',
      uploadLimitBytes: 8_000_000,
      log: pino({ level: 'silent' }),
    });
    await backups.start();
    const messages = join(root, 'messages.log');
    writeFileSync(messages, `12/02/26-03:00:00:000 (1234) 0 [Utility.Event] Startup of InterSystems IRIS\n12/02/26-03:00:01:000 (1234) 2 [Generic.Event] /usr/irissys/mgr/regionalhospitalnetworklaboratoryresults/partner/interface/journal/20261202.001-could-not-be-opened-because-the-volume-is-full\n`);
    flows = await startHaFlowsRig(sim, { entities: ['input_boolean.regional_hospital_network_*'], actions: ['input_number.*'] });
    h = await startHarness({ mode: 'addon', proxy: true, sim, backups, certStoreDir: join(root, 'certs'), irisSslDir: join(root, 'iris-ssl'), messagesLogPath: messages, haFlows: flows.source });
    flows.stateChange(ENTITY, 'off', 'on');
    const level = { kind: 'action', domain: 'input_number', service: 'set_value', data: { value: 42, note: HOST.repeat(3) }, target: { entity_id: `input_number.${HOST.toLowerCase().replaceAll('.', '_')}` } };
    assert.equal((await sim.callHomeAssistant('HOME', level, 5)).ok, true);
    assert.equal((await sim.callHomeAssistant('HOME', { kind: 'action', domain: 'script', service: ENTITY.split('.')[1] ?? '' }, 5)).ok, false);
    const job = await backups.startBackup('manual');
    await backups.wait(job.id);
    const ca = await post<{ id: string }>('api/certificates/ca', { name: CA_NAME, commonName: CA_CN, key: { type: 'ec', curve: 'P-256' } });
    const leaf = await post<{ id: string }>('api/certificates/ca/issue', {
      caId: ca.id,
      name: LEAF_NAME,
      subject: { commonName: 'laboratory-results.regional-hospital-network-partner.example' },
      altNames: ['laboratory-results.regional-hospital-network-partner.example', 'interface-engine-secondary.regional-hospital-network-partner.example', '10.120.240.17'],
      usage: 'both',
      key: { type: 'ec', curve: 'P-256' },
    });
    leafId = leaf.id;
    // A sensor with a long name and a long query in a namespace with a long name.
    await post('api/sensors', { name: 'Laboratory results waiting for the regional partner', namespace: NS, sql: `SELECT COUNT(*) FROM Laboratory_Results.RegionalHospitalNetworkOutboundAcknowledgementQueue WHERE Status = 'Waiting'` });
    h.logs.write(JSON.stringify({ level: 40, time: Date.now(), msg: `${HOST}:/usr/irissys/mgr/regionalhospitalnetworklaboratoryresults/partner/interface/outbound/acknowledgement-queue-is-growing` }) + '\n');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    flows?.close();
    await h?.close();
    backups?.stop();
    await sim?.close();
  });

  for (const width of [360, 1280]) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`${width} px, ${scheme}: no sideways scrolling, nothing wider than the window, a visible heading, readable text`, async () => {
        const { ctx, page } = await newViewPage(browser, { viewport: { width, height: 800 }, colorScheme: scheme });
        page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
        const problems: string[] = [];
        for (const p of PAGES) {
          await page.goto(`${h.ingress}${p.hash()}`);
          await page.locator(p.ready).first().waitFor();
          const where = `${p.name} at ${width} px, ${scheme}`;
          const check = (r: LayoutReport, what: string) => {
            if (r.scrollWidth > r.clientWidth) problems.push(`${what}: the page is ${r.scrollWidth} px wide in ${r.clientWidth} px`);
            for (const w of r.tooWide) problems.push(`${what}: ${w}`);
            for (const id of r.duplicateIds) problems.push(`${what}: id "${id}" is used more than once`);
            for (const c of r.lowContrast) problems.push(`${what}: contrast ${c}`);
          };
          const r = await measure(page, scheme);
          assert.equal(r.theme, scheme, `${where}: the panel follows prefers-color-scheme`);
          if (!r.heading) problems.push(`${where}: no visible main heading`);
          check(r, where);
          await page.screenshot({ path: join(ART, `layout-${p.name}-${width}-${scheme}.png`), fullPage: true });
          if (p.dialog) {
            await page.locator(p.dialog.open).first().click();
            const dialog = page.locator(p.dialog.shown);
            await dialog.waitFor();
            check(await measure(page, scheme), `${where}, dialog open`);
            await page.screenshot({ path: join(ART, `layout-${p.name}-dialog-${width}-${scheme}.png`) });
            await page.keyboard.press('Escape');
            await dialog.waitFor({ state: 'hidden' });
          }
        }
        await ctx.close();
        assert.deepEqual(problems, []);
      });
    }
  }

  it('raised no script error on any page', () => assert.deepEqual(errors, []));
});
