/**
 * The Sensors page: the user sensors of the add-on options (read-only: the options win) and the
 * panel's own, created, tested, changed and deleted here; each change reaches Home Assistant
 * without a restart. Below, what the sensors' IRIS role needs and the commands that grant it.
 */
import { call } from './api.ts';
import { card, h, render, resultBox, say } from './dom.ts';
import { confirmDialog, type Page } from './pages.ts';
import { store } from './store.ts';

const TITLE = 'Sensors';
const SOURCES = ['sql', 'global', 'method', 'metric'] as const;
const SOURCE_LABEL: Record<(typeof SOURCES)[number], string> = { sql: 'SQL query', global: 'Global', method: 'Class method', metric: 'IRIS metric' };
const SOURCE_HELP: Record<(typeof SOURCES)[number], string> = {
  sql: 'One SELECT; the first column of the first row is the state, e.g. SELECT COUNT(*) FROM Orders.OpenOrder',
  global: 'A node with literal subscripts, e.g. ^Orders("count")',
  method: 'Package.Class.Method, a class method without arguments, in a package of sensor_packages',
  metric: 'A line of /api/monitor/metrics, e.g. iris_db_free_space{id="USER"}',
};

type Definition = Record<string, unknown>;
interface Problem {
  sensor: string;
  field: string;
  message: string;
}
interface Entry {
  key: string;
  name: string;
  origin: 'options' | 'panel';
  definition: Definition;
  overridden?: boolean;
  problems?: Problem[];
}
interface Grants {
  namespace: string;
  resource: string;
  statements: string[];
  sensors: string[];
}
interface SensorsInfo {
  sensors: Entry[];
  readOnly?: string;
  max: number;
  role: { name: string; user: string; resourcesPath: string; sqlPath: string; namespaces: Grants[] };
}
interface TestResult {
  value: number | string | null;
  type: 'number' | 'text' | null;
  ms: number;
  state: string;
  reason?: string;
}

const sourceOf = (d: Definition): (typeof SOURCES)[number] => SOURCES.find((k) => d[k] !== undefined) ?? 'sql';

// ---- the device a sensor is on -----------------------------------------------------------------

/** The add-on's own IRIS, whose productions user sensors can go on: the first instance of the feed (app.ts: the primary). */
const ownProductions = (): { namespace: string; name: string }[] => [...store.instances.values()][0]?.productions ?? [];

const productionOf = (d: Definition): string | undefined => (typeof d.production === 'string' && d.production !== '' ? d.production : undefined);

function deviceOf(d: Definition): string {
  const p = productionOf(d);
  return p ? `the device of ${p}` : 'the IRIS device';
}

/** Its production's name, marked when IRIS does not have it (the sensor is not shown until it does). */
function deviceCell(d: Definition): HTMLElement {
  const p = productionOf(d);
  if (!p) return h('span', {}, 'IRIS');
  const ns = String(d.namespace ?? '').toUpperCase();
  const known = ownProductions().some((x) => x.name === p && x.namespace.toUpperCase() === ns);
  return h('span', {}, p, known ? null : h('span', { class: 'badge warn', title: `IRIS has no production ${p} in ${ns}: the sensor appears when it does` }, 'not in IRIS'));
}

/** The productions IRIS has now, offered while typing (any name may still be typed). */
function productionChoices(): HTMLElement {
  return h('datalist', { id: 'sensor-productions' }, ownProductions().map((p) => h('option', { value: p.name }, p.namespace)));
}

// ---- the form ---------------------------------------------------------------------------------

interface Field {
  name: string;
  label: string;
  kind?: 'number' | 'check' | 'state_class' | 'production';
  help?: string;
  only?: (typeof SOURCES)[number];
}

const FIELDS: Field[] = [
  { name: 'namespace', label: 'Namespace', help: 'Where to read, e.g. USER (not for a metric)' },
  { name: 'production', label: "On the production's device", kind: 'production', help: 'A production in the namespace, e.g. Orders.Production; empty: the IRIS device' },
  { name: 'attributes', label: 'Columns of the row as attributes', kind: 'check', only: 'sql' },
  { name: 'count_subscripts', label: 'Count the subscripts under the node', kind: 'check', only: 'global' },
  { name: 'unit', label: 'Unit', help: 'e.g. %, MB, s' },
  { name: 'device_class', label: 'Device class', help: 'e.g. data_size, duration, enum' },
  { name: 'state_class', label: 'State class', kind: 'state_class' },
  { name: 'options', label: 'Options (enum)', help: 'Values separated by commas' },
  { name: 'display_precision', label: 'Display precision', kind: 'number' },
  { name: 'icon', label: 'Icon', help: 'e.g. mdi:cart' },
  { name: 'interval', label: 'Interval (s)', kind: 'number', help: 'Empty: the poll interval' },
  { name: 'entity_category', label: 'Diagnostic', kind: 'check' },
];

function sensorForm(editing: Entry | undefined, done: () => void): HTMLElement {
  const d = editing?.definition ?? {};
  const out = resultBox('sensor-result');
  const name = h('input', { type: 'text', id: 'sensor-name', maxlength: '64', autocomplete: 'off', value: String(d.name ?? '') });
  const kind = h('select', { id: 'sensor-source-kind' }, SOURCES.map((k) => h('option', { value: k, selected: sourceOf(d) === k }, SOURCE_LABEL[k])));
  const text = h('textarea', { id: 'sensor-source', rows: 3, spellcheck: 'false', 'aria-describedby': 'sensor-source-help' });
  text.value = String(d[sourceOf(d)] ?? '');
  const help = h('small', { class: 'muted', id: 'sensor-source-help' }, SOURCE_HELP[sourceOf(d)]);
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const wraps: Array<[Field, HTMLElement]> = [];
  for (const f of FIELDS) {
    const id = `sensor-${f.name.replaceAll('_', '-')}`;
    let input: HTMLInputElement | HTMLSelectElement;
    let wrap: HTMLElement;
    if (f.kind === 'check') {
      input = h('input', { type: 'checkbox', id, checked: f.name === 'entity_category' ? d[f.name] === 'diagnostic' : d[f.name] === true });
      wrap = h('div', { class: 'field' }, h('label', { class: 'check' }, input, ` ${f.label}`));
    } else {
      input =
        f.kind === 'state_class'
          ? h('select', { id }, ['', 'measurement', 'total', 'total_increasing'].map((v) => h('option', { value: v, selected: d[f.name] === v || (v === '' && d[f.name] === undefined) }, v || '—')))
          : h('input', {
              type: f.kind === 'number' ? 'number' : 'text',
              id,
              autocomplete: 'off',
              value: d[f.name] === undefined ? '' : String(d[f.name]),
              ...(f.help ? { placeholder: f.help } : {}),
              ...(f.kind === 'production' ? { list: 'sensor-productions' } : {}),
            });
      wrap = h('div', { class: 'field' }, h('label', { for: id }, f.label), input, f.kind === 'production' ? productionChoices() : null);
    }
    inputs.set(f.name, input);
    wraps.push([f, wrap]);
  }
  const showFor = () => {
    const k = kind.value as (typeof SOURCES)[number];
    help.textContent = SOURCE_HELP[k];
    for (const [f, wrap] of wraps) wrap.hidden = f.only !== undefined && f.only !== k;
  };
  kind.addEventListener('change', showFor);
  showFor();

  const definition = (): Definition => {
    const k = kind.value as (typeof SOURCES)[number];
    const def: Definition = { name: name.value.trim(), [k]: text.value };
    for (const f of FIELDS) {
      if (f.only !== undefined && f.only !== k) continue;
      const input = inputs.get(f.name) as HTMLInputElement;
      if (f.kind === 'check') {
        if (input.checked) def[f.name] = f.name === 'entity_category' ? 'diagnostic' : true;
        continue;
      }
      const v = input.value.trim();
      if (v === '') continue;
      // A number field the browser cannot read is sent as it is: the server names the field.
      def[f.name] = f.kind === 'number' && Number.isFinite(Number(v)) ? Number(v) : v;
    }
    return def;
  };

  const testBtn = h('button', { type: 'button', class: 'btn', id: 'sensor-test' }, 'Test');
  const save = h('button', { type: 'submit', class: 'btn primary', id: 'sensor-save' }, editing ? 'Save changes' : 'Create sensor');
  const cancel = editing ? h('button', { type: 'button', class: 'btn', id: 'sensor-cancel' }, 'Cancel') : null;
  cancel?.addEventListener('click', done);
  testBtn.addEventListener('click', () => {
    testBtn.disabled = true;
    say(out, 'busy', 'Reading the source once…');
    call<TestResult>('POST', 'api/sensors/test', definition())
      .then(
        (r) =>
          say(
            out,
            r.reason ? 'bad' : 'good',
            h(
              'dl',
              { class: 'fields', id: 'sensor-test-result' },
              h('div', { class: 'kv' }, h('dt', {}, 'Value'), h('dd', { class: 'mono' }, r.value === null ? '—' : String(r.value))),
              h('div', { class: 'kv' }, h('dt', {}, 'Type'), h('dd', {}, r.type ?? '—')),
              h('div', { class: 'kv' }, h('dt', {}, 'Took'), h('dd', {}, `${r.ms} ms`)),
              h('div', { class: 'kv' }, h('dt', {}, 'Home Assistant shows'), h('dd', { id: 'sensor-test-state' }, r.reason ? `unavailable — ${r.reason}` : r.state)),
            ),
          ),
        (err: Error) => say(out, 'bad', `Not tested: ${err.message}`),
      )
      .finally(() => (testBtn.disabled = false));
  });
  const form = h(
    'form',
    { class: 'form', id: 'sensor-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'sensor-name' }, 'Name'), name),
    h('div', { class: 'field' }, h('label', { for: 'sensor-source-kind' }, 'Reads'), kind),
    h('div', { class: 'field' }, h('label', { for: 'sensor-source' }, 'Source'), text, help),
    ...wraps.map(([, w]) => w),
    h('div', { class: 'actions' }, testBtn, save, cancel),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    save.disabled = true;
    say(out, 'busy', 'Saving…');
    const req = editing ? call<Entry>('PUT', `api/sensors/${encodeURIComponent(editing.key)}`, definition()) : call<Entry>('POST', 'api/sensors', definition());
    req.then(
      (r) => {
        say(out, 'good', `Saved: "${r.name}" is on ${deviceOf(r.definition)} in Home Assistant.`);
        done();
      },
      (err: Error) => {
        say(out, 'bad', `Not saved: ${err.message}`);
        save.disabled = false;
      },
    );
  });
  return h('div', {}, form, out);
}

// ---- the list and the role ----------------------------------------------------------------------

function sensorList(info: SensorsInfo, edit: (e: Entry) => void, reload: () => void): HTMLElement {
  const box = resultBox('sensors-list-result');
  if (info.sensors.length === 0) return h('p', { class: 'muted', id: 'sensors-empty' }, 'No sensors yet: create one below.');
  const rows = info.sensors.map((e) => {
    const k = sourceOf(e.definition);
    const from =
      e.origin === 'options'
        ? h('span', { class: 'badge neutral' }, 'from the options')
        : e.overridden
          ? h('span', { class: 'badge warn', title: 'The options define a sensor of the same name, and the options win' }, 'overridden by the options')
          : e.problems?.length
            ? h('span', { class: 'badge bad', title: e.problems.map((p) => `${p.field}: ${p.message}`).join('; ') }, 'left out')
            : h('span', { class: 'badge good' }, 'panel');
    const actions: HTMLElement[] = [];
    if (e.origin === 'panel') {
      const editBtn = h('button', { type: 'button', class: 'btn small', 'data-edit': e.key }, 'Edit');
      editBtn.addEventListener('click', () => edit(e));
      const del = h('button', { type: 'button', class: 'btn small danger', 'data-delete': e.key }, 'Delete');
      del.addEventListener('click', () => {
        void (async () => {
          if (!(await confirmDialog(`Delete the sensor "${e.name}"?`, 'Its entity is removed from Home Assistant now, with its history kept there as a removed entity.', 'Delete'))) return;
          try {
            await call('DELETE', `api/sensors/${encodeURIComponent(e.key)}`);
            reload();
          } catch (err) {
            say(box, 'bad', `Not deleted: ${(err as Error).message}`);
          }
        })();
      });
      actions.push(editBtn, del);
    }
    return h(
      'tr',
      { 'data-sensor': e.key },
      h('th', { scope: 'row', 'data-label': 'Name' }, e.name),
      h('td', { 'data-label': 'Reads' }, SOURCE_LABEL[k], e.definition.namespace ? ` in ${String(e.definition.namespace)}` : ''),
      h('td', { 'data-label': 'Source', class: 'mono' }, String(e.definition[k] ?? '')),
      h('td', { 'data-label': 'Device' }, deviceCell(e.definition)),
      h('td', { 'data-label': 'From' }, from, e.problems?.length ? h('div', { class: 'small' }, e.problems.map((p) => `${p.field}: ${p.message}`).join('; ')) : null),
      h('td', { 'data-label': 'Actions' }, h('div', { class: 'actions' }, ...actions)),
    );
  });
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'table-wrap' },
      h('table', { class: 'checks sensors', id: 'sensors-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Reads'), h('th', {}, 'Source'), h('th', {}, 'Device'), h('th', {}, 'From'), h('th', {}, ''))), h('tbody', {}, ...rows)),
    ),
    box,
  );
}

function roleCard(info: SensorsInfo): HTMLElement {
  const r = info.role;
  const intro = h(
    'p',
    { class: 'muted' },
    `SQL, global and method sensors run in IRIS as ${r.user}, whose only role is ${r.name}: it reads nothing until an administrator grants it. Grants are kept when the add-on restarts.`,
  );
  if (r.namespaces.length === 0) return card(`What ${r.name} needs`, intro, h('p', { id: 'grants-none' }, 'No SQL, global or method sensor yet: nothing to grant. Metric sensors need no grant.'));
  return card(
    `What ${r.name} needs`,
    intro,
    ...r.namespaces.map((g) =>
      h(
        'section',
        { class: 'grants', 'data-namespace': g.namespace },
        h('h3', { class: 'card-title' }, `Namespace ${g.namespace}`),
        h('p', { class: 'small muted' }, `For ${g.sensors.join(', ')}.`),
        h('ol', { class: 'steps' },
          h('li', {}, `Management Portal: ${r.resourcesPath}: Add… `, h('code', {}, g.resource), ' with Read (the resource of the namespace’s globals database, usually this name; for classes in a separate routines database, that one too).'),
          g.statements.length
            ? h('li', {}, `Management Portal: ${r.sqlPath.replace('{ns}', g.namespace)}:`, h('pre', { class: 'mono grant-sql' }, g.statements.join('\n')))
            : null,
        ),
      ),
    ),
  );
}

export function sensorsPage(): Page {
  let editing: Entry | undefined;
  let main: HTMLElement;
  const load = () => {
    void call<SensorsInfo>('GET', 'api/sensors').then(
      (info) => {
        const show = () => load();
        render(
          main,
          h('h1', { class: 'page-title' }, TITLE),
          h('p', { class: 'muted' }, "Your own sensors on the IRIS device, or on a production's device, in Home Assistant. Changes here apply at once, without a restart. Sensors in the add-on options (sensors:) are listed too, read-only: where both name the same sensor, the options win."),
          info.readOnly ? h('p', { class: 'result bad', id: 'sensors-read-only' }, info.readOnly) : null,
          card(`Sensors (${info.sensors.length} of at most ${info.max})`, sensorList(info, (e) => ((editing = e), show()), show)),
          card(editing ? `Edit "${editing.name}"` : 'New sensor', sensorForm(editing, () => ((editing = undefined), show()))),
          roleCard(info),
        );
      },
      (err: Error) => render(main, h('h1', { class: 'page-title' }, TITLE), h('p', { class: 'result bad' }, err.message)),
    );
  };
  return {
    title: TITLE,
    render(m) {
      main = m;
      render(main, h('h1', { class: 'page-title' }, TITLE), h('p', { class: 'muted' }, 'Loading…'));
      load();
    },
  };
}
