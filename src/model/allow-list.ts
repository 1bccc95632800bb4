/**
 * Allow-lists of the options, default deny: entity ids (`input_boolean.*`, `sensor.kitchen_*`),
 * event types (`automation_triggered`, `my_*`). A pattern is an exact name, or a name with `*`
 * standing for any run of characters; nothing else is special, so a pattern reads the way a Home
 * Assistant user writes an entity id. An empty list lets nothing through.
 */

/** The characters Home Assistant allows in entity ids and event types (lower case, digits, _ and .), and `*`. */
const PATTERN = /^[a-z0-9_.*]{1,255}$/;

export class AllowList {
  private readonly exact = new Set<string>();
  private readonly globs: RegExp[] = [];

  constructor(readonly patterns: readonly string[]) {
    for (const p of patterns) {
      const problem = allowPatternProblem(p);
      if (problem) throw new Error(problem);
      if (!p.includes('*')) this.exact.add(p);
      else this.globs.push(new RegExp(`^${p.split('*').map((part) => part.replaceAll('.', '\\.')).join('.*')}$`));
    }
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** True when some pattern has a `*` (then it cannot be turned into a list of names to follow). */
  get hasWildcards(): boolean {
    return this.globs.length > 0;
  }

  /** The patterns without `*`. */
  get names(): string[] {
    return [...this.exact];
  }

  allows(name: string): boolean {
    return this.exact.has(name) || this.globs.some((g) => g.test(name));
  }
}

/** Why `pattern` cannot be an allow-list entry, or null when it can. */
export function allowPatternProblem(pattern: string): string | null {
  if (!PATTERN.test(pattern)) {
    return `"${pattern}" is not a pattern: use lower-case letters, digits, _ and . as in an entity id or event type, and * for any characters (e.g. input_boolean.*)`;
  }
  return null;
}
