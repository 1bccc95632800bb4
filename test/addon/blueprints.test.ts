// The automation blueprints shipped in the repository, checked the way Home Assistant reads
// them (YAML with `!input`), before the e2e test imports them into a real Home Assistant.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { blueprintFiles, declaredInputs, importLink, inputProblems, inputRefs, parseBlueprint, repoRoot } from '../support/blueprints.ts';

type Obj = Record<string, unknown>;
const config = parse(readFileSync(join(repoRoot, 'config.yaml'), 'utf8')) as Obj;
const docs = readFileSync(join(repoRoot, 'DOCS.md'), 'utf8');
const files = blueprintFiles();
const MODES = ['single', 'restart', 'queued', 'parallel'];

describe('automation blueprints', () => {
  it('are the three the documentation and the e2e test cover', () => {
    assert.deepEqual(
      files.map((f) => f.path.split('/').pop()),
      ['backup_failed.yaml', 'certificate_expiring.yaml', 'production_troubled.yaml'],
    );
  });

  for (const file of files) {
    describe(file.path, () => {
      const meta = file.data.blueprint as Obj;

      it('has the metadata HA and the import dialog show, and points back at itself', () => {
        assert.equal(meta.domain, 'automation');
        assert.match(String(meta.name), /^IRIS Edge – /);
        assert.ok(typeof meta.description === 'string' && meta.description.length > 40);
        assert.equal(meta.source_url, `${String(config.url)}/blob/main/${file.path}`);
        assert.match(String((meta.homeassistant as Obj).min_version), /^\d+\.\d+\.\d+$/);
      });

      it('uses every input it declares and declares every input it uses', () => {
        assert.deepEqual(inputProblems(file.data), []);
      });

      it('has triggers, actions and a mode that says what happens to a second run', () => {
        assert.ok(Array.isArray(file.data.triggers) && file.data.triggers.length > 0);
        assert.ok(Array.isArray(file.data.actions) && file.data.actions.length > 0);
        assert.ok(MODES.includes(String(file.data.mode)));
        // A run that would be refused must not log a warning each time: refuse it silently.
        if (file.data.mode !== 'parallel') assert.equal(file.data.max_exceeded, 'silent');
      });

      it('lets the user choose where the notification goes, and nothing is required past the trigger entities', () => {
        const inputs = declaredInputs(file.data);
        assert.deepEqual((inputs.get('notify_entities')?.selector as Obj).entity, { multiple: true, filter: [{ domain: 'notify' }] });
        assert.deepEqual(inputs.get('extra_actions')?.selector, { action: {} });
        const required = [...inputs].filter(([, def]) => !('default' in def)).map(([name]) => name);
        for (const name of required) {
          const entity = (inputs.get(name)?.selector as Obj).entity as Obj | undefined;
          assert.ok(entity, `${name}: only the entities to watch may be required`);
          const filter = (entity.filter as Obj[])[0]!;
          assert.equal(filter.integration, 'mqtt');
          // Certificates live on the IRIS device (manufacturer InterSystems); productions built
          // from a user's own classes carry no manufacturer (discovery's manufacturerOf), so a
          // manufacturer filter would hide them from the picker.
          if (name === 'certificate_sensors') assert.deepEqual(filter.device, { manufacturer: 'InterSystems' });
          else assert.equal(filter.device, undefined, `${name}: no device filter, productions have no common manufacturer`);
        }
      });

      it('is linked from DOCS.md with an import button', () => {
        assert.ok(docs.includes(importLink(String(meta.source_url))), `DOCS.md lacks ${importLink(String(meta.source_url))}`);
      });
    });
  }
});

describe('the blueprint checks', () => {
  const sample = (body: string) =>
    parseBlueprint(
      [
        'blueprint:',
        '  name: Sample',
        '  domain: automation',
        '  input:',
        '    who: { name: Who, selector: { entity: {} } }',
        '    section:',
        '      name: More',
        '      input:',
        '        days: { name: Days, default: 3, selector: { number: { min: 1, max: 9 } } }',
        body,
      ].join('\n'),
    );

  it('read !input in scalars, and inputs inside sections', () => {
    const data = sample('triggers:\n  - trigger: state\n    entity_id: !input who\nvariables:\n  d: !input days');
    assert.deepEqual(inputRefs(data), ['who', 'days']);
    assert.deepEqual([...declaredInputs(data).keys()], ['who', 'days']);
    assert.deepEqual(inputProblems(data), []);
  });

  it('find an unused input, an undeclared one and an input without a selector', () => {
    assert.deepEqual(inputProblems(sample('triggers:\n  - trigger: state\n    entity_id: !input whom')), [
      '!input whom is not declared',
      'input who is never used',
      'input days is never used',
    ]);
    const bare = parseBlueprint('blueprint:\n  name: B\n  domain: automation\n  input:\n    x:\nvariables:\n  x: !input x\n');
    assert.deepEqual(inputProblems(bare), ['input x has no name', 'input x has no selector']);
  });

  it('refuse YAML Home Assistant would refuse: an unknown tag, a duplicate key', () => {
    assert.throws(() => parseBlueprint('blueprint: !secret x\n'), /!secret/);
    assert.throws(() => parseBlueprint('a: 1\na: 2\n'), /unique|duplicate/i);
  });
});
