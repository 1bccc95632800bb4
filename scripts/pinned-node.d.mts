// Types for the tests' imports of scripts/pinned-node.mjs (plain JS, so it runs before npm ci).
export function readPin(root: string): string;
export function nodeMismatch(pin: string, version: string): string | null;
export function pinnedNode(root: string): Promise<string | null>;
