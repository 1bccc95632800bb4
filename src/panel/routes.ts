/**
 * The panel's routes by path, so that a known path asked with a method it does not serve gets
 * 405 and the methods it does serve (RFC 9110 §15.5.6), not a 404 that says the path is unknown.
 */

interface Route {
  pattern: RegExp;
  /** How many segments are parameters: the router prefers a literal segment to a parameter. */
  params: number;
  methods: Set<string>;
}

export class RouteTable {
  private readonly routes = new Map<string, Route>();

  /** Adds a Fastify route ("/api/backups/:id", one method or several). */
  add(url: string, method: string | string[]): void {
    let route = this.routes.get(url);
    if (!route) {
      // A parameter is one path segment; everything else matches literally.
      const source = url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      route = { pattern: new RegExp(`^${source}$`), params: url.split('/').filter((seg) => seg.startsWith(':')).length, methods: new Set() };
      this.routes.set(url, route);
    }
    for (const m of Array.isArray(method) ? method : [method]) route.methods.add(m.toUpperCase());
  }

  /**
   * The methods the path's own route serves (the path without the query), or null when no route
   * has it. The most literal pattern owns a path: "/api/backups/schedule" is the schedule, not the
   * backup with id "schedule", even for a method only the backup route serves.
   */
  methodsAt(path: string): Set<string> | null {
    const matches = [...this.routes.values()].filter((r) => r.pattern.test(path));
    if (!matches.length) return null;
    const best = Math.min(...matches.map((r) => r.params));
    const found = new Set<string>();
    for (const r of matches) if (r.params === best) for (const m of r.methods) found.add(m);
    return found;
  }
}

/** The Allow header for these methods; HEAD goes without saying with GET (RFC 9110 §9.3.2), and the API's document lists GET only. */
export function allowHeader(methods: Set<string>): string {
  return [...methods].filter((m) => m !== 'HEAD').sort().join(', ');
}
