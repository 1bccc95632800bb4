/**
 * Sizes in words, the one way the panel, the server's messages and DOCS.md write them: decimal
 * units (1 GB = 1,000,000,000 bytes), as Home Assistant writes disk and backup sizes.
 */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const [value, unit] = n < 1e6 ? [n / 1e3, 'KB'] : n < 1e9 ? [n / 1e6, 'MB'] : [n / 1e9, 'GB'];
  return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
}
