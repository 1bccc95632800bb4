#!/usr/bin/env node
// `npm run mutation [-- module...]`: StrykerJS over the core modules, one run per module, then
// one score per module. By hand and before a release, not in CI: a run takes tens of minutes.
//   --report-only   print the scores of the last runs (reports/mutation/*.json) without running
//   --survivors     also list each surviving mutant
// IRIS_EDGE_MUTATION_CONCURRENCY (1 or 2; 1 by default) sets the mutants run at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProse, sourceLiteralText } from './message-text.mjs';
import { MODULES } from './mutation-modules.mjs';
import { MESSAGE_TEXT } from './stryker-message-text.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const asked = args.filter((a) => !a.startsWith('--'));
const unknown = asked.filter((m) => !MODULES[m]);
if (unknown.length) {
  console.error(`unknown module ${unknown.join(', ')}; known: ${Object.keys(MODULES).join(', ')}`);
  process.exit(2);
}
const modules = asked.length ? asked : Object.keys(MODULES);
const concurrency = Math.min(2, Math.max(1, Number(process.env.IRIS_EDGE_MUTATION_CONCURRENCY ?? 1)));

if (!flags.has('--report-only')) {
  for (const m of modules) {
    console.error(`\n== ${m}: ${MODULES[m].file}`);
    const r = spawnSync(join(root, 'node_modules/.bin/stryker'), ['run', 'stryker.conf.mjs'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, IRIS_EDGE_MUTATE: m, IRIS_EDGE_MUTATION_CONCURRENCY: String(concurrency) },
    });
    if (r.status !== 0) console.error(`stryker failed for ${m} (exit ${r.status}); its score below is from an older run, if any`);
  }
}

/** The source text a mutant replaced, from the report's copy of the file. */
function original(source, loc) {
  const lines = source.split('\n');
  const from = loc.start, to = loc.end;
  if (from.line === to.line) return lines[from.line - 1].slice(from.column - 1, to.column - 1);
  return [lines[from.line - 1].slice(from.column - 1), ...lines.slice(from.line, to.line - 1), lines[to.line - 1].slice(0, to.column - 1)].join('\n');
}

/** A mutant of message text: ignored as such, or (in a run without the ignorer) a prose literal changed. */
function isMessageMutant(m, source) {
  if (m.status === 'Ignored') return m.statusReason === MESSAGE_TEXT;
  if (m.mutatorName !== 'StringLiteral') return false;
  const text = sourceLiteralText(original(source, m.location));
  return text !== null && isProse(text);
}

const rows = [];
for (const m of modules) {
  const path = join(root, 'reports/mutation', `${m}.json`);
  if (!existsSync(path)) {
    rows.push({ module: m, file: MODULES[m].file, missing: true });
    continue;
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const file = report.files[MODULES[m].file];
  const n = { Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, RuntimeError: 0, CompileError: 0, Ignored: 0 };
  const msg = { run: 0, survived: 0, ignored: 0 };
  const survivors = [];
  for (const mu of file.mutants) {
    if (isMessageMutant(mu, file.source)) {
      if (mu.status === 'Ignored') msg.ignored++;
      else msg.run++;
      if (mu.status === 'Survived' || mu.status === 'NoCoverage') msg.survived++;
      continue;
    }
    n[mu.status] = (n[mu.status] ?? 0) + 1;
    if (mu.status === 'Survived' || mu.status === 'NoCoverage') survivors.push(mu);
  }
  const detected = n.Killed + n.Timeout + n.RuntimeError;
  const valid = detected + n.Survived + n.NoCoverage;
  rows.push({ module: m, file: MODULES[m].file, score: valid ? (100 * detected) / valid : 100, n, msg, survivors, source: file.source });
}

const pad = (s, w) => String(s).padEnd(w);
console.log(`\n${pad('module', 28)}${pad('score', 8)}${pad('killed', 8)}${pad('survived', 10)}${pad('timeout', 9)}${pad('no cov.', 9)}message text (ignored / run / of those survived)`);
for (const r of rows) {
  if (r.missing) {
    console.log(`${pad(r.file, 28)}no report (run: npm run mutation -- ${r.module})`);
    continue;
  }
  console.log(
    `${pad(r.file, 28)}${pad(r.score.toFixed(1) + ' %', 8)}${pad(r.n.Killed + r.n.RuntimeError, 8)}${pad(r.n.Survived, 10)}${pad(r.n.Timeout, 9)}${pad(r.n.NoCoverage, 9)}${r.msg.ignored} / ${r.msg.run} / ${r.msg.survived}`,
  );
}
if (flags.has('--survivors')) {
  for (const r of rows.filter((x) => !x.missing && x.survivors.length)) {
    console.log(`\n${r.file}:`);
    for (const s of r.survivors) {
      const o = original(r.source, s.location).replace(/\s+/g, ' ').slice(0, 70);
      console.log(`  ${s.location.start.line}:${s.location.start.column} ${s.mutatorName}: ${o} -> ${String(s.replacement ?? '').replace(/\s+/g, ' ').slice(0, 70)}`);
    }
  }
}
console.log('\nScore = (killed + timeout) / (killed + timeout + survived + no coverage), message text left out.');
