/**
 * Reading what IPM writes (intersystems/ipm src/cls/IPM/Main.cls, Storage/Module.cls,
 * Lifecycle/Base.cls): "ERROR! <text>" ends a failed command; "[<ns>|<module>]<TAB><Phase> SUCCESS"
 * and "[<module>]<TAB><Phase> FAILURE" report each lifecycle phase; "Clean SKIPPED - required by
 * ..." is an uninstall IPM declined without an error; `list-installed` prints "<name> <version>".
 * IPM colours some words with ANSI escapes on a terminal: they are removed first.
 */
import { PACKAGE_NAME, isVersion } from '../model/ipm.ts';

const ANSI = /\u001b\[[0-9;]*m/g;

export function plain(line: string): string {
  return line.replace(ANSI, '').replace(/\r$/, '');
}

/** IPM's error text when the command failed, else undefined. */
export function ipmError(lines: readonly string[]): string | undefined {
  for (const l of lines.map(plain)) {
    const i = l.indexOf('ERROR!');
    if (i >= 0) return l.slice(i + 'ERROR!'.length).trim() || 'IPM reported an error without a message.';
  }
  return undefined;
}

/** "Clean SKIPPED - required by ..." when IPM declined an uninstall, else undefined. */
export function ipmSkipped(lines: readonly string[]): string | undefined {
  const l = lines.map(plain).find((x) => /\tClean SKIPPED\b/.test(x));
  return l ? l.slice(l.indexOf('Clean SKIPPED')).trim() : undefined;
}

/** One phase line as a progress step: which module, which phase, and whether it passed. */
export function ipmPhase(line: string): { module: string; phase: string; ok: boolean } | undefined {
  const m = /^\[(?:[^|\]]+\|)?([^\]]+)\]\t(\w+) (SUCCESS|FAILURE)\b/.exec(plain(line));
  return m ? { module: m[1] as string, phase: m[2] as string, ok: m[3] === 'SUCCESS' } : undefined;
}

/** `list-installed` output: name and version per line; IPM itself is "zpm". */
export function parseInstalled(lines: readonly string[]): Array<{ name: string; version: string }> {
  const out: Array<{ name: string; version: string }> = [];
  for (const l of lines.map(plain)) {
    // Main.cls ListInstalled shows "<ExternalName> (<name>)" when a module has an external name.
    const m = /^\s*(\S+)(?:\s+\(([^)\s]+)\))?\s+v?(\S+)\s*$/.exec(l);
    if (!m) continue;
    const name = (m[2] ?? (m[1] as string)).toLowerCase();
    if (PACKAGE_NAME.test(name) && isVersion(m[3] as string)) out.push({ name, version: m[3] as string });
  }
  return out;
}
