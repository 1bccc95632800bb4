/**
 * The Home Assistant blueprints in blueprints/automation/iris_edge/, read the way HA reads them:
 * YAML where `!input name` stands for the value the user gives that input. Shared by the add-on
 * test (static checks) and the e2e test (the files as HA receives them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type ScalarTag } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const BLUEPRINT_DIR = 'blueprints/automation/iris_edge';

/** What `!input name` parses to. */
export class InputRef {
  constructor(readonly name: string) {}
}

const inputTag: ScalarTag = {
  tag: '!input',
  identify: (v) => v instanceof InputRef,
  resolve: (name) => new InputRef(name),
  stringify: (item) => String((item.value as InputRef).name),
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof InputRef);

export interface BlueprintFile {
  /** Path inside the repository, e.g. blueprints/automation/iris_edge/backup_failed.yaml. */
  path: string;
  text: string;
  data: Obj;
}

/** Parses blueprint YAML; a syntax error, an unknown tag or a duplicate key throws. */
export function parseBlueprint(text: string): Obj {
  const doc = parseDocument(text, { customTags: [inputTag], uniqueKeys: true, prettyErrors: true, strict: true });
  // HA's loader refuses what this library only warns about, such as a tag it does not know.
  const [problem] = [...doc.errors, ...doc.warnings];
  if (problem) throw new Error(problem.message);
  const data: unknown = doc.toJS();
  if (!isObj(data)) throw new Error('a blueprint is a YAML mapping');
  return data;
}

export function blueprintFiles(): BlueprintFile[] {
  return readdirSync(join(repoRoot, BLUEPRINT_DIR))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const path = `${BLUEPRINT_DIR}/${f}`;
      const text = readFileSync(join(repoRoot, path), 'utf8');
      return { path, text, data: parseBlueprint(text) };
    });
}

/** Every `!input` reference anywhere in the value, in document order. */
export function inputRefs(value: unknown): string[] {
  if (value instanceof InputRef) return [value.name];
  if (Array.isArray(value)) return value.flatMap(inputRefs);
  if (isObj(value)) return Object.values(value).flatMap(inputRefs);
  return [];
}

/** The declared inputs by name, looking inside input sections (an entry with its own `input`). */
export function declaredInputs(data: Obj): Map<string, Obj> {
  const out = new Map<string, Obj>();
  const meta = isObj(data.blueprint) ? data.blueprint : {};
  const input = isObj(meta.input) ? meta.input : {};
  for (const [key, value] of Object.entries(input)) {
    if (isObj(value) && isObj(value.input)) {
      for (const [inner, def] of Object.entries(value.input)) out.set(inner, isObj(def) ? def : {});
    } else out.set(key, isObj(value) ? value : {});
  }
  return out;
}

/**
 * What HA would refuse or what a user could not fill in: `!input` of an undeclared input (HA
 * refuses the automation), a declared input nothing uses (a field that does nothing), an input
 * without a name or selector (the UI shows a bare text box), and `!input` inside the metadata.
 */
export function inputProblems(data: Obj): string[] {
  const declared = declaredInputs(data);
  const { blueprint: meta, ...body } = data;
  const used = new Set(inputRefs(body));
  const problems: string[] = [];
  for (const name of inputRefs(meta)) problems.push(`!input ${name} inside the blueprint metadata`);
  for (const name of used) if (!declared.has(name)) problems.push(`!input ${name} is not declared`);
  for (const [name, def] of declared) {
    if (!used.has(name)) problems.push(`input ${name} is never used`);
    if (typeof def.name !== 'string') problems.push(`input ${name} has no name`);
    if (!isObj(def.selector)) problems.push(`input ${name} has no selector`);
  }
  return problems;
}

/** The "import this blueprint" link of my.home-assistant.io for a blueprint's source URL. */
export function importLink(sourceUrl: string): string {
  return `https://my.home-assistant.io/create-link/?redirect=blueprint_import&blueprint_url=${encodeURIComponent(sourceUrl)}`;
}

/** The file name HA's import dialog suggests for a GitHub URL: `<owner>/<file name>`. */
export function suggestedPath(sourceUrl: string): string {
  const m = /^https:\/\/github\.com\/([^/]+)\/[^/]+\/blob\/.+\/([^/]+\.yaml)$/.exec(sourceUrl);
  if (!m) throw new Error(`not a GitHub file URL: ${sourceUrl}`);
  return `${m[1]}/${m[2]}`;
}
