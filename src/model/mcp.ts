/**
 * The MCP server's words that the panel and its page share: where it answers, and what it keeps
 * of each call (the panel's AI assistants page shows the last ones).
 */

/** The container port of the MCP server (config.yaml `ports`): Home Assistant Core reaches it on the internal network. */
export const MCP_PORT = 8098;

/** The endpoint; Home Assistant's integration takes only a URL, so the token is its last segment. */
export const MCP_PATH = '/mcp';

/** What became of one request to the MCP server. */
export const MCP_OUTCOMES = ['ok', 'error', 'refused', 'unauthenticated', 'forbidden', 'rate-limited', 'bad-request'] as const;
export type McpOutcome = (typeof MCP_OUTCOMES)[number];

export interface McpCallRecord {
  /** ISO 8601 UTC. */
  at: string;
  /** The tool called, or null for a request turned away before any tool (or one that named none). */
  tool: string | null;
  outcome: McpOutcome;
  /** Why, in words a person can act on; never arguments or secrets. */
  detail: string | null;
  /** The peer's address. */
  peer: string;
}

/** Calls the panel keeps (newest last). */
export const MCP_CALLS_KEPT = 50;
