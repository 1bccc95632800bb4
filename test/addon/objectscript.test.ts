// Every ObjectScript class file (*.cls) under rootfs/ must parse with the ObjectScript tree-sitter
// grammar for class files (objectscript_udl): a syntax error fails the run, naming file:line:column
// and the line. The parser is test/support/objectscript/parse.py, run by the python of the venv
// .ci/run makes (/opt/iris-edge-ci/objectscript, with the PyPI packages tree-sitter and
// tree-sitter-objectscript); IRIS_EDGE_OBJECTSCRIPT_PYTHON names another python that has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot, rootfsDir } from '../support/rootfs-sandbox.ts';

const ci = process.env.CI === 'true';
const parseScript = join(repoRoot, 'test/support/objectscript/parse.py');
const venvPython = '/opt/iris-edge-ci/objectscript/bin/python';
const install = 'the venv and pinned packages of the ObjectScript lines in .ci/run';

interface SyntaxProblem {
  kind: 'ERROR' | 'MISSING';
  expected: string | null;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  text: string;
  snippet: string;
}

interface UtcAgain {
  line: number;
  column: number;
  text: string;
  tformat: number;
}

interface ParsedFile {
  file: string;
  root?: string;
  read_error?: string;
  errors: SyntaxProblem[];
  zdatetime_utc_converted_again: UtcAgain[];
}

/** The python that can parse ObjectScript, or null after skipping loudly (failing in CI). */
function parserPython(t: { skip(msg: string): void }): string | null {
  const python = process.env.IRIS_EDGE_OBJECTSCRIPT_PYTHON || venvPython;
  const probe = spawnSync(python, ['-c', 'import tree_sitter, tree_sitter_objectscript_udl'], { encoding: 'utf8' });
  if (probe.status === 0) return python;
  const why = `${python} cannot import tree_sitter and tree_sitter_objectscript_udl (${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()})`;
  if (ci) assert.fail(`${why}; CI must install them: ${install}`);
  t.skip(`OBJECTSCRIPT WAS NOT PARSED: ${why}. Install ${install}`);
  return null;
}

function parse(python: string, files: string[]): ParsedFile[] {
  const res = spawnSync(python, [parseScript, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(res.status, 0, `parse.py failed (status ${res.status}):\n${res.stderr}`);
  const out = JSON.parse(res.stdout) as { grammar: string; files: ParsedFile[] };
  assert.equal(out.grammar, 'objectscript_udl');
  assert.deepEqual(out.files.map((f) => f.file), files, 'one result per file, in order');
  return out.files;
}

const shown = (file: string): string => (file.startsWith(repoRoot) ? relative(repoRoot, file) : file);

/** One line per problem: file:line:column, what, and the source line. */
function syntaxProblems(files: ParsedFile[]): string[] {
  return files.flatMap((f) => {
    if (f.read_error !== undefined) return [`${shown(f.file)}: cannot be read: ${f.read_error}`];
    return f.errors.map((e) => {
      const what = e.kind === 'MISSING' ? `missing "${e.expected}"` : `syntax error (to ${e.end_line}:${e.end_column}) at "${e.text}"`;
      return `${shown(f.file)}:${e.line}:${e.column}: ${what} | ${e.snippet}`;
    });
  });
}

/** Every *.cls file under rootfs/, found (never listed by hand). */
function classFiles(dir = rootfsDir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return classFiles(p);
      return name.endsWith('.cls') ? [p] : [];
    });
}

/** Writes `classes` (name -> text) into a temporary directory; returns their paths. */
function tempClasses(t: { after(fn: () => void): void }, classes: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-objectscript-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return Object.entries(classes).map(([name, text]) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  });
}

test('every ObjectScript class file under rootfs/ parses without a syntax error', (t) => {
  const python = parserPython(t);
  if (!python) return;
  const files = classFiles();
  assert.ok(files.length >= 2, `found the class files: ${files.map(shown).join(', ')}`);
  const parsed = parse(python, files);
  const problems = syntaxProblems(parsed);
  assert.deepEqual(problems, [], `ObjectScript syntax errors (grammar objectscript_udl):\n${problems.join('\n')}`);
  for (const f of parsed) assert.equal(f.root, 'source_file', `${shown(f.file)} parses as a class file`);
});

test('the ObjectScript check reports a broken class with file, line, column and the line', (t) => {
  const python = parserPython(t);
  if (!python) return;
  const [typo, unclosed, unbalanced] = tempClasses(t, {
    'Typo.cls': 'Class Demo.Typo\n{\n\nClassMethod Run() As %Status\n{\n\tsett x = 1\n\tquit $$$OK\n}\n\n}\n',
    'Unclosed.cls': 'Class Demo.Unclosed\n{\n\nClassMethod Run() As %Status\n{\n\tif 1 {\n\t\tquit $$$OK\n\t}\n\tquit 0\n}\n',
    'Unbalanced.cls': 'Class Demo.Unbalanced\n{\n\nClassMethod Run() As %Status\n{\n\tset x = (1 +\n\tquit x\n}\n\n}\n',
  }) as [string, string, string];
  const problems = syntaxProblems(parse(python, [typo, unclosed, unbalanced]));
  assert.ok(problems.includes(`${typo}:6:2: syntax error (to 6:6) at "sett" | sett x = 1`), problems.join('\n'));
  assert.ok(problems.includes(`${unclosed}:11:1: missing "}" | `), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith(`${unbalanced}:`)), `an unclosed parenthesis is an error too:\n${problems.join('\n')}`);
});

test('no $ZDATETIME($ZTIMESTAMP, _, 7 or 8) under rootfs/: that tformat converts a UTC input from local time again', (t) => {
  const python = parserPython(t);
  if (!python) return;
  // The check itself: it finds the calls, and only those.
  const [probe] = tempClasses(t, {
    'Utc.cls': [
      'Class Demo.Utc',
      '{',
      '',
      'ClassMethod Stamp() As %String',
      '{',
      '\tset a = $ZDATETIME($ZTIMESTAMP,3,7,3)',
      '\tset b = $zdt($zts,,8)',
      '\tset c = $zdatetime($ztimestamp,3,1,3)_"Z"',
      '\tset d = $zdatetime($horolog,3,7)',
      '\tset e = $zdatetimeh($zts,3,7)',
      '\tquit a_b_c_d_e',
      '}',
      '',
      '}',
      '',
    ].join('\n'),
  }) as [string];
  const [found] = parse(python, [probe]) as [ParsedFile];
  assert.deepEqual(found.errors, []);
  assert.deepEqual(
    found.zdatetime_utc_converted_again.map((c) => `${c.line}:${c.column} ${c.text}`),
    ['6:10 $ZDATETIME($ZTIMESTAMP,3,7,3)', '7:10 $zdt($zts,,8)'],
  );

  const calls = parse(python, classFiles()).flatMap((f) =>
    f.zdatetime_utc_converted_again.map((c) => `${shown(f.file)}:${c.line}:${c.column}: ${c.text} (tformat ${c.tformat} treats $ZTIMESTAMP as local time; use tformat ${c.tformat - 6} and append "Z")`),
  );
  assert.deepEqual(calls, [], calls.join('\n'));
});
