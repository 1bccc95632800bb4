/**
 * What IPM's module.xml says of a module: its name, version, description and dependencies, the
 * fields the registry's JSON carries for a package (ZPM.Package). The shape is IPM's own
 * (intersystems/ipm tests/integration_tests/Test/PM/Integration/_data/<name>/module.xml:
 * Export > Document name="<name>.ZPM" > Module > Name, Version, Description,
 * Dependencies > ModuleReference > Name, Version).
 *
 * Only these plain-text elements are read, from a text already bounded by the archive reader, with
 * linear regular expressions: no DTD, no entity other than XML's five and character references,
 * nothing that could expand. A document that does not have them is refused with what is missing.
 */
import { PACKAGE_NAME, isVersion, isVersionExpression, type PackageDependency } from '../model/ipm.ts';

export interface ModuleManifest {
  name: string;
  version: string;
  description: string;
  dependencies: PackageDependency[];
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text
    .replace(/&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-z]{2,4}));/g, (all, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
      const code = hex ? parseInt(hex, 16) : dec ? Number(dec) : undefined;
      if (code !== undefined) return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
      return ENTITIES[name ?? ''] ?? all;
    })
    .trim();
}

/** The text of the first <tag> in `xml` (plain text: IPM writes no markup inside these). */
function element(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? decode(m[1] as string) : undefined;
}

/** The contents of each <tag>...</tag>, found by indexOf: linear whatever the document. */
function blocks(xml: string, tag: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const open = xml.indexOf(`<${tag}>`, at);
    if (open < 0) return out;
    const close = xml.indexOf(`</${tag}>`, open);
    if (close < 0) throw new ManifestError(`its module.xml has an unclosed <${tag}>`);
    out.push(xml.slice(open + tag.length + 2, close));
    at = close + tag.length + 3;
  }
}

export function parseModuleManifest(xml: string): ModuleManifest {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new ManifestError('its module.xml declares a DTD or entities, which IPM\'s module.xml never does');
  const start = xml.indexOf('<Module>');
  const end = xml.lastIndexOf('</Module>');
  if (start < 0) throw new ManifestError('its module.xml has no <Module> element');
  if (end < start) throw new ManifestError('its module.xml has an unclosed <Module>');
  const module = xml.slice(start, end);
  // Name and Version of the module itself, not those of a dependency further down.
  const depsBlock = blocks(module, 'Dependencies')[0] ?? '';
  const head = depsBlock ? module.replace(`<Dependencies>${depsBlock}</Dependencies>`, '') : module;
  const name = element(head, 'Name');
  const version = element(head, 'Version');
  if (!name || !PACKAGE_NAME.test(name)) throw new ManifestError(`its module.xml names no valid module (${JSON.stringify((name ?? '').slice(0, 80))})`);
  if (!version || !isVersion(version)) throw new ManifestError(`its module.xml gives ${name} no semantic version (${JSON.stringify((version ?? '').slice(0, 80))})`);
  const dependencies: PackageDependency[] = [];
  for (const body of blocks(depsBlock, 'ModuleReference')) {
    const depName = element(body, 'Name');
    const expr = element(body, 'Version') ?? '*';
    if (!depName || !PACKAGE_NAME.test(depName)) throw new ManifestError(`its module.xml has a dependency without a valid name (${JSON.stringify((depName ?? '').slice(0, 80))})`);
    if (!isVersionExpression(expr)) throw new ManifestError(`its module.xml asks for ${depName} ${JSON.stringify(expr.slice(0, 80))}, which is not a version expression`);
    dependencies.push({ name: depName.toLowerCase(), version: expr });
    if (dependencies.length > 200) throw new ManifestError('its module.xml has more than 200 dependencies');
  }
  return { name: name.toLowerCase(), version, description: (element(head, 'Description') ?? '').slice(0, 2000), dependencies };
}
