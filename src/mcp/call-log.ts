/** The last MCP calls, for the panel's AI assistants page: a bounded ring, newest last. */
import { MCP_CALLS_KEPT, type McpCallRecord } from '../model/mcp.ts';

export class CallLog {
  private readonly records: McpCallRecord[] = [];

  constructor(
    private readonly kept = MCP_CALLS_KEPT,
    private readonly now: () => Date = () => new Date(),
  ) {}

  add(r: Omit<McpCallRecord, 'at'>): void {
    this.records.push({ at: this.now().toISOString(), ...r });
    if (this.records.length > this.kept) this.records.shift();
  }

  list(): McpCallRecord[] {
    return [...this.records];
  }
}
