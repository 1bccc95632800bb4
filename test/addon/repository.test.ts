// The files around config.yaml that the Supervisor and the add-on store read: no stray
// config/build/repository files (research ha-addon.md §4), translations for every option and
// port, the icon and logo, and the documentation of every option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const config = parse(readFileSync(join(root, 'config.yaml'), 'utf8')) as Obj;

// ---------------------------------------------------------------------------------------------
// Stray add-on files
// ---------------------------------------------------------------------------------------------

/**
 * The files a clone of the repository holds: tracked plus untracked-but-not-ignored files (what
 * the next commit can contain). Without git: a walk that skips .git, node_modules and build output.
 */
function repositoryFiles(): string[] {
  const res = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (res.status === 0) return res.stdout.split('\0').filter((f) => f !== '' && existsSync(join(root, f)));
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (!['.git', 'node_modules', 'dist', '.artifacts'].includes(name)) walk(p);
      } else out.push(relative(root, p));
    }
  };
  walk(root);
  return out;
}

const SUPERVISOR_SUFFIXES = ['.yaml', '.yml', '.json'];

/**
 * Files the Supervisor would take for add-on metadata besides the root ones. Its lookups are
 * `glob("**\/config.*")` (skipping paths with a component starting with "." or equal to
 * "rootfs"), and `glob("**\/build.*")` / `glob("**\/repository.*")` with no filter at all, each
 * keeping only the suffixes .yaml/.yml/.json (supervisor/store/data.py, utils/common.py).
 */
function strayAddonFiles(files: string[]): string[] {
  const stray: string[] = [];
  for (const file of files) {
    const parts = file.split('/');
    const name = basename(file);
    const suffix = name.includes('.') ? name.slice(name.lastIndexOf('.')) : '';
    if (!SUPERVISOR_SUFFIXES.includes(suffix)) continue;
    const atRoot = parts.length === 1;
    if (name.startsWith('config.')) {
      const skipped = parts.slice(0, -1).some((p) => p.startsWith('.') || p === 'rootfs');
      if (!skipped && !(atRoot && name === 'config.yaml')) stray.push(file);
    }
    if (name.startsWith('build.') && !(atRoot && name === 'build.yaml')) stray.push(file);
    if (name.startsWith('repository.') && !(atRoot && name === 'repository.yaml')) stray.push(file);
  }
  return stray;
}

test('no other config, build or repository file that the Supervisor would read', () => {
  const files = repositoryFiles();
  assert.ok(files.includes('config.yaml') && files.includes('build.yaml') && files.includes('repository.yaml'));
  assert.deepEqual(strayAddonFiles(files), []);
});

test('the stray-file rule catches what the Supervisor would pick up', () => {
  assert.deepEqual(
    strayAddonFiles([
      'config.yaml', 'build.yaml', 'repository.yaml', // the add-on's own
      'test/fixtures/config.json', 'src/config.schema.json', // found by **/config.*
      '.github/workflows/build.yaml', 'node/build.yml', // **/build.* has no dot-directory filter
      'docs/repository.json',
      '.ci/config.yaml', 'rootfs/etc/config.yaml', // skipped by the config lookup
      'src/config/config.ts', 'test/unit/config.test.ts', 'scripts/build.sh', // suffix not read
    ]),
    ['test/fixtures/config.json', 'src/config.schema.json', '.github/workflows/build.yaml', 'node/build.yml', 'docs/repository.json'],
  );
});

test('repository.yaml names the repository', () => {
  const repo = parse(readFileSync(join(root, 'repository.yaml'), 'utf8')) as Obj;
  assert.equal(typeof repo.name, 'string');
  assert.equal(repo.url, config.url);
  for (const key of Object.keys(repo)) assert.ok(['name', 'url', 'maintainer'].includes(key), `unknown key ${key}`);
});

// ---------------------------------------------------------------------------------------------
// Translations
// ---------------------------------------------------------------------------------------------

/** Problems of one translations file against the config's schema and ports. */
function translationProblems(tr: unknown, cfg: Obj): string[] {
  const problems: string[] = [];
  if (!isObj(tr)) return ['not a mapping'];
  const schema = isObj(cfg.schema) ? cfg.schema : {};
  const conf = isObj(tr.configuration) ? tr.configuration : {};
  const entry = (path: string, value: unknown): Obj | null => {
    if (!isObj(value)) {
      problems.push(`${path} is missing`);
      return null;
    }
    if (typeof value.name !== 'string' || value.name.trim() === '') problems.push(`${path}.name is missing`);
    if (typeof value.description !== 'string' || value.description.trim() === '') problems.push(`${path}.description is missing`);
    return value;
  };
  for (const [key, el] of Object.entries(schema)) {
    const e = entry(`configuration.${key}`, conf[key]);
    const nested = Array.isArray(el) && isObj(el[0]) ? el[0] : isObj(el) ? el : null;
    if (e && nested) {
      const fields = isObj(e.fields) ? e.fields : {};
      for (const sub of Object.keys(nested)) entry(`configuration.${key}.fields.${sub}`, fields[sub]);
      for (const sub of Object.keys(fields)) if (!(sub in nested)) problems.push(`configuration.${key}.fields.${sub} is not an option`);
    }
  }
  for (const key of Object.keys(conf)) if (!(key in schema)) problems.push(`configuration.${key} is not an option`);
  const ports = isObj(cfg.ports) ? Object.keys(cfg.ports) : [];
  const network = isObj(tr.network) ? tr.network : {};
  for (const port of ports) {
    if (typeof network[port] !== 'string' || (network[port] as string).trim() === '') problems.push(`network.${port} is missing`);
  }
  for (const port of Object.keys(network)) if (!ports.includes(port)) problems.push(`network.${port} is not a port`);
  for (const key of Object.keys(tr)) if (!['configuration', 'network'].includes(key)) problems.push(`unknown key ${key}`);
  return problems;
}

for (const lang of ['en', 'de']) {
  test(`translations/${lang}.yaml names and describes every option and port`, () => {
    const tr: unknown = parse(readFileSync(join(root, 'translations', `${lang}.yaml`), 'utf8'));
    assert.deepEqual(translationProblems(tr, config), []);
  });
}

test('the translation rule catches a missing or stray entry', () => {
  const tr = parse(readFileSync(join(root, 'translations', 'en.yaml'), 'utf8')) as Obj;
  const conf = tr.configuration as Obj;
  const broken = structuredClone(tr);
  delete (broken.configuration as Obj).poll_interval;
  delete (((broken.configuration as Obj).instances as Obj).fields as Obj).host;
  delete (broken.network as Obj)['52773/tcp'];
  (broken.configuration as Obj).colour = { name: 'Colour', description: 'x' };
  assert.deepEqual(translationProblems(broken, config).sort(), [
    'configuration.colour is not an option',
    'configuration.instances.fields.host is missing',
    'configuration.poll_interval is missing',
    'network.52773/tcp is missing',
  ]);
  assert.ok(isObj(conf.log_level));
});

// ---------------------------------------------------------------------------------------------
// Images and documents
// ---------------------------------------------------------------------------------------------

/** Width and height from a PNG's IHDR chunk; throws when the file is no PNG. */
function pngSize(file: string): { width: number; height: number } {
  const buf = readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 24 || !buf.subarray(0, 8).equals(signature)) throw new Error(`${file} is not a PNG`);
  if (buf.toString('latin1', 12, 16) !== 'IHDR') throw new Error(`${file} has no IHDR chunk first`);
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

test('icon.png is a 128x128 PNG and logo.png a 250x100 PNG', () => {
  assert.deepEqual(pngSize(join(root, 'icon.png')), { width: 128, height: 128 });
  assert.deepEqual(pngSize(join(root, 'logo.png')), { width: 250, height: 100 });
  assert.throws(() => pngSize(join(root, 'config.yaml')), /not a PNG/);
});

test('DOCS.md documents every option, both ports and the backup hooks', () => {
  const docs = readFileSync(join(root, 'DOCS.md'), 'utf8');
  for (const key of Object.keys(config.schema as Obj)) assert.ok(docs.includes(`### Option: \`${key}\``), `DOCS.md has "### Option: \`${key}\`"`);
  for (const port of Object.keys(config.ports as Obj)) assert.ok(docs.includes(port), `DOCS.md mentions ${port}`);
  for (const word of ['backup_pre', 'backup_post', '/data/secrets', 'Known issues']) assert.ok(docs.includes(word), `DOCS.md mentions ${word}`);
  assert.doesNotMatch(docs, /\b(TODO|TBD|FIXME|lorem ipsum)\b/i, 'no placeholders');
});

test('CHANGELOG.md has an entry for the config version', () => {
  const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
  assert.match(changelog, new RegExp(`^## \\[${String(config.version).replace(/\./g, '\\.')}\\]`, 'm'));
});
