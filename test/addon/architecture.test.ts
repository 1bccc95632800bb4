// The shape of the code (DESIGN.md §2): dependencies flow one way, rooms do not reach into each
// other, no import circle, and no file grows past 400 lines without saying why. The rules live in
// .dependency-cruiser.cjs; each is shown to catch a planted violation, so none can pass vacuously.
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as {
  forbidden: IForbiddenRuleType[];
  options: Record<string, unknown>;
};
const MAX_LINES = 400;

async function violations(baseDir: string, dirs: string[]): Promise<string[]> {
  const { tsConfig: _tsConfig, ...options } = config.options;
  const res = await cruise(dirs, { ...options, baseDir, validate: true, ruleSet: { forbidden: config.forbidden } });
  const out = res.output as ICruiseResult;
  return out.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`);
}

test('the code keeps the architecture rules', async () => {
  assert.deepEqual(await violations(root, ['src', 'web/src']), []);
});

test('every architecture rule catches a planted violation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-arch-'));
  try {
    const files: Record<string, string> = {
      'src/model/production.ts': "import '../mqtt/topics.ts';\nexport const x = 1;\n",
      'src/iris/client.ts': "import '../monitor/monitor.ts';\nexport const x = 1;\n",
      'src/monitor/monitor.ts': "import '../model/production.ts';\nexport const x = 1;\n",
      'src/mqtt/topics.ts': "import '../ha/core.ts';\nexport const x = 1;\n",
      'src/ha/core.ts': "import '../panel/server.ts';\nexport const x = 1;\n",
      'src/panel/server.ts': "import '../iris/client.ts';\nimport '../mqtt/topics.ts';\nimport '../app.ts';\nimport '../compose/panel.ts';\nexport const x = 1;\n",
      'src/mcp/server.ts': "import '../panel/server.ts';\nexport const x = 1;\n",
      'src/compose/panel.ts': 'export const x = 1;\n',
      'src/app.ts': "import './compose/panel.ts';\nexport const x = 1;\n",
      'src/a.ts': "import './b.ts';\nexport const x = 1;\n",
      'src/b.ts': "import './a.ts';\nexport const y = 1;\n",
      'web/src/main.ts': "import '../../src/mqtt/topics.ts';\nexport const x = 1;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const found = await violations(dir, ['src', 'web/src']);
    const fired = new Set(found.map((v) => v.split(':')[0]));
    for (const rule of config.forbidden) assert.ok(fired.has(rule.name), `rule ${rule.name} did not fire; found: ${found.join('; ')}`);
    // The root itself may import compose/: only the planted panel import is a violation of that rule.
    assert.deepEqual(found.filter((v) => v.startsWith('compose-only-from-the-root')), ['compose-only-from-the-root: src/panel/server.ts -> src/compose/panel.ts']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|mjs|js)$/.test(name) ? [p] : [];
  });
}

/** A long file says why at its top: "Over 400 lines: <reason>" in its first comment. */
test(`no file in src/ or web/ is over ${MAX_LINES} lines without a reason at its top`, () => {
  const long = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'web/src'))]
    .map((p) => ({ p, text: readFileSync(p, 'utf8') }))
    .filter(({ text }) => text.split('\n').length > MAX_LINES)
    .filter(({ text }) => !/^[\s/*]*Over 400 lines: \S/m.test(text.split('\n').slice(0, 20).join('\n')))
    .map(({ p, text }) => `${relative(root, p)} (${text.split('\n').length} lines)`);
  assert.deepEqual(long, []);
});

/** The modules of src/ that loading `entry` loads (dynamic imports that have not run excluded). */
function loadedBy(entry: string): string[] {
  const hook = `import { registerHooks } from 'node:module';
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); if (r.url.startsWith('file:')) process.stdout.write('LOADED ' + r.url + '\\n'); return r; } });`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(hook)}`, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(root, entry)).href)})`], { cwd: root, encoding: 'utf8' });
  const src = pathToFileURL(join(root, 'src')).href;
  return [...new Set(out.split('\n').filter((l) => l.startsWith(`LOADED ${src}/`)).map((l) => l.slice(`LOADED ${src}/`.length)))];
}

// The simulator is most of a megabyte of code and its data: a bridge beside a real IRIS (the
// image) loads none of it but the superserver's driver name; measured, 3-4 MB of resident memory.
test('the bridge loads the simulator only when it runs one', () => {
  const simulator = (files: string[]) => files.filter((f) => f.startsWith('iris/simulator/'));
  assert.deepEqual(simulator(loadedBy('src/app.ts')), ['iris/simulator/superserver.ts']);
  // The check sees what the simulator mode loads, so it cannot pass by seeing nothing.
  assert.ok(simulator(loadedBy('src/compose/simulated-iris.ts')).length > 10);
});
