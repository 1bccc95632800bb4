/** A failure the assistant can act on: its message goes back as the tool's error text. */
export class ToolError extends Error {}
