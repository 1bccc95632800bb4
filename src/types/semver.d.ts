/**
 * The part of semver (a dependency of the add-on since the IPM work; its own package ships no
 * types) that the IPM code uses: IPM's version expressions (%IPM.General.SemanticVersionExpression)
 * follow npm's range syntax (^, ~, x, ranges, ||), which is semver's.
 */
declare module 'semver' {
  export function valid(version: string): string | null;
  export function validRange(range: string): string | null;
  export function rcompare(a: string, b: string): number;
  export function gt(a: string, b: string): boolean;
  export function satisfies(version: string, range: string, options?: { includePrerelease?: boolean }): boolean;
  export function maxSatisfying(versions: readonly string[], range: string, options?: { includePrerelease?: boolean }): string | null;
  const semver: {
    valid: typeof valid;
    validRange: typeof validRange;
    rcompare: typeof rcompare;
    gt: typeof gt;
    satisfies: typeof satisfies;
    maxSatisfying: typeof maxSatisfying;
  };
  export default semver;
}
