/**
 * A host's discovery message as JSON, the same string as JSON.stringify(hostDiscovery(...)),
 * without building the message. At start the bridge sends one per host with a device of its own
 * (a thousand at 10 x 100), and building each one's thirty-odd objects and serialising them was
 * most of what the bridge added to the broker's own time, its garbage collection included.
 *
 * hostDiscovery is serialised once per discovery context with a marker in place of everything
 * that differs between hosts (random, 64 bits: no context holds one by chance, nor can be made
 * to), and a host's values are written into their places JSON-escaped. Whether the manufacturer
 * is named depends on the class (manufacturerOf), so there is one template for each case.
 */
import { hash, randomBytes } from 'node:crypto';
import type { HostSnapshot } from '../model/production.ts';
import { vendorClass, type DiscoveryContext } from './discovery.ts';
import { hostDiscovery, type HostIds } from './hosts.ts';

type Host = Pick<HostSnapshot, 'name' | 'className' | 'kind'>;
const FIELDS = ['deviceId', 'key', 'stateTopic', 'topic', 'nameSlug', 'name', 'className', 'kind'] as const;
type Field = (typeof FIELDS)[number];

/** A template's literal parts, with the field that goes between each two. */
interface Template {
  parts: string[];
  fields: Field[];
  /** The same for the same parts and fields, whatever the markers: see HostDiscoveryJson.digest. */
  id: string;
}

/**
 * Markers made of what a slug keeps (ids.key is slugged again on its way into the device id), so
 * that they pass through unchanged.
 */
function markers(): Record<Field, string> {
  const tag = randomBytes(8).toString('hex');
  return Object.fromEntries(FIELDS.map((f) => [f, `q${tag}${f.toLowerCase()}q`])) as Record<Field, string>;
}

/** `classPrefix`: '%' for the template of classes whose manufacturer is named (InterSystems). */
function template(ctx: DiscoveryContext, m: Record<Field, string>, classPrefix: string): Template {
  const ids: HostIds = { key: m.key, production: { deviceId: m.deviceId, topic: m.topic, nameSlug: m.nameSlug }, stateTopic: m.stateTopic, discoveryTopic: '' };
  const className = classPrefix + m.className;
  const json = JSON.stringify(hostDiscovery(ctx, ids, { name: m.name, className, kind: m.kind as Host['kind'] }));
  const byMarker = new Map<string, Field>(FIELDS.map((f) => [f === 'className' ? className : m[f], f]));
  const pieces = json.split(new RegExp(`(${[...byMarker.keys()].join('|')})`));
  const parts = pieces.filter((_, i) => i % 2 === 0);
  const fields = pieces.filter((_, i) => i % 2 === 1).map((k) => byMarker.get(k) as Field);
  // JSON text holds no U+0000 (JSON.stringify escapes it): the parts join back one way only.
  return { parts, fields, id: hash('sha1', `${fields.join(',')}\0${parts.join('\0')}`, 'base64') };
}

/** What JSON.stringify escapes in a string: quotes, backslashes, control characters, surrogates. */
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;
/** Most names and ids need no escaping: they are taken as they are. */
const escaped = (s: string) => (NEEDS_ESCAPING.test(s) ? JSON.stringify(s).slice(1, -1) : s);

export class HostDiscoveryJson {
  /** The templates of the context of `generation`. */
  private templates: { generation: number; named: Template; unnamed: Template } | undefined;

  /** The JSON of hostDiscovery(ctx, ids, host); `generation` changes whenever ctx does. */
  of(ctx: DiscoveryContext, generation: number, ids: HostIds, host: Host): string {
    const t = this.templateOf(ctx, generation, host);
    // Each value escaped once, though most appear in the message several times.
    const values: Record<Field, string> = {
      deviceId: escaped(ids.production.deviceId),
      key: escaped(ids.key),
      stateTopic: escaped(ids.stateTopic),
      topic: escaped(ids.production.topic),
      nameSlug: escaped(ids.production.nameSlug),
      name: escaped(host.name),
      className: escaped(host.className),
      kind: escaped(host.kind),
    };
    let out = t.parts[0]!;
    for (let i = 0; i < t.fields.length; i++) out += values[t.fields[i]!] + t.parts[i + 1]!;
    return out;
  }

  /**
   * A digest of what `of(ctx, generation, ids, host)` writes its message from, for the publisher
   * to keep in place of the message's own (RetainedPublisher.send): equal inputs write equal
   * messages. Hashing the 2.5 KB message (flattening it first) took about 2.9 us of the 4.5 us
   * it took to write and hash one; these 200-odd bytes take about 0.6. A context that changes
   * nothing in the template keeps the digests (its id). A message the pacer holds goes out later
   * with the digest of the message itself; the two kinds differ for one message, which costs at
   * most one needless send. The text hashed reads back one way only: the template id is base64,
   * the ids are slugs and topic names (MQTT does not allow U+0000 in those), the kind is one of
   * three words, and the class name comes after its length. SHA-1 keeps what is remembered per
   * topic at 28 characters.
   */
  digest(ctx: DiscoveryContext, generation: number, ids: HostIds, host: Host): string {
    const t = this.templateOf(ctx, generation, host);
    const { deviceId, topic, nameSlug } = ids.production;
    const inputs = `${t.id}\0${deviceId}\0${ids.key}\0${ids.stateTopic}\0${topic}\0${nameSlug}\0${host.kind}\0${host.className.length}\0${host.className}${host.name}`;
    return hash('sha1', inputs, 'base64');
  }

  private templateOf(ctx: DiscoveryContext, generation: number, host: Host): Template {
    if (this.templates?.generation !== generation) {
      const m = markers();
      this.templates = { generation, named: template(ctx, m, '%'), unnamed: template(ctx, m, '') };
    }
    return vendorClass(host.className) ? this.templates.named : this.templates.unnamed;
  }
}
