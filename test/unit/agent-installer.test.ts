import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AGENT_FILE,
  AgentInstallError,
  agentVersionFromText,
  ensureAgent,
  type NativeArg,
  type NativeCalls,
  type NativeValue,
} from '../../src/iris/agent/installer.ts';
import { IrisUnavailableError } from '../../src/iris/errors.ts';

const SHIPPED_DIR = fileURLToPath(new URL('../../rootfs/usr/share/iris-edge/agent/', import.meta.url));
/** The VERSION parameter of the shipped class, read here independently of the code under test. */
const SHIPPED = Number(/Parameter VERSION = (\d+);/.exec(readFileSync(join(SHIPPED_DIR, 'IrisEdge.Agent.cls'), 'utf8'))?.[1]);

/** An in-process fake of the few IRIS calls the installer makes. */
class FakeIris implements NativeCalls {
  calls: string[] = [];
  installed: number | null;
  loadOk = true;
  textOk = true;
  private pendingText: string | null = null;

  constructor(installed: number | null) {
    this.installed = installed;
  }

  async classMethodValue(className: string, methodName: string, ...args: NativeArg[]): Promise<NativeValue> {
    this.calls.push(`${className}.${methodName}`);
    switch (`${className}.${methodName}`) {
      case 'IrisEdge.Agent.Version':
        if (this.installed === null) throw new Error('IRIS raised an error: <CLASS DOES NOT EXIST> *IrisEdge.Agent');
        return this.installed;
      case '%SYSTEM.OBJ.Load': {
        assert.equal(args[1], 'ck-d');
        if (!this.loadOk) return '0 \u0001ERROR #5012: File does not exist';
        this.installed = agentVersionFromText(await readFile(String(args[0]), 'utf8'));
        return '1';
      }
      case '%Compiler.UDL.TextServices.SetTextFromString':
        assert.deepEqual(args.slice(0, 2), ['%SYS', 'IrisEdge.Agent']);
        if (!this.textOk) return '0 \u0001ERROR #5475: privilege';
        this.pendingText = String(args[2]);
        return 1;
      case '%SYSTEM.OBJ.Compile':
        assert.equal(args[0], 'IrisEdge.Agent');
        this.installed = agentVersionFromText(this.pendingText ?? '');
        return 1;
      case '%SYSTEM.Status.GetErrorText':
        return `ERROR text of ${String(args[0]).slice(0, 1)}`;
      default:
        throw new Error(`unexpected call ${className}.${methodName}`);
    }
  }
}

async function agentDirWithVersion(version: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iris-edge-agent-'));
  const text = (await readFile(join(SHIPPED_DIR, AGENT_FILE), 'utf8')).replace(
    /^Parameter VERSION = \d+;/m,
    `Parameter VERSION = ${version};`,
  );
  await writeFile(join(dir, AGENT_FILE), text);
  return dir;
}

describe('agent installer', () => {
  it('reads VERSION from the shipped .cls (one source of truth)', async () => {
    const text = await readFile(join(SHIPPED_DIR, AGENT_FILE), 'utf8');
    assert.ok(SHIPPED >= 1);
    assert.equal(agentVersionFromText(text), SHIPPED);
    assert.match(text, /ClassMethod Version\(\) As %Integer/);
    assert.throws(() => agentVersionFromText('Class X {}'), AgentInstallError);
  });

  it('installs the agent when the class does not exist', async () => {
    const iris = new FakeIris(null);
    const result = await ensureAgent(iris, SHIPPED_DIR);
    assert.deepEqual(result, { action: 'installed', from: null, to: SHIPPED, via: 'file' });
    assert.deepEqual(iris.calls, ['IrisEdge.Agent.Version', '%SYSTEM.OBJ.Load', 'IrisEdge.Agent.Version']);
  });

  it('upgrades an older agent', async () => {
    const dir = await agentDirWithVersion(3);
    const iris = new FakeIris(2);
    const result = await ensureAgent(iris, dir);
    assert.deepEqual(result, { action: 'upgraded', from: 2, to: 3, via: 'file' });
  });

  it('leaves a current (or newer) agent alone', async () => {
    for (const installed of [SHIPPED, SHIPPED + 1]) {
      const iris = new FakeIris(installed);
      const result = await ensureAgent(iris, SHIPPED_DIR);
      assert.equal(result.action, 'current');
      assert.deepEqual(iris.calls, ['IrisEdge.Agent.Version']);
    }
  });

  it('falls back to sending the class text when IRIS cannot load the file', async () => {
    const iris = new FakeIris(null);
    iris.loadOk = false;
    const result = await ensureAgent(iris, SHIPPED_DIR);
    assert.deepEqual(result, { action: 'installed', from: null, to: SHIPPED, via: 'text' });
    assert.deepEqual(iris.calls, [
      'IrisEdge.Agent.Version',
      '%SYSTEM.OBJ.Load',
      '%SYSTEM.Status.GetErrorText',
      '%Compiler.UDL.TextServices.SetTextFromString',
      '%SYSTEM.OBJ.Compile',
      'IrisEdge.Agent.Version',
    ]);
  });

  it('fails with IrisUnavailableError naming both attempts when neither works', async () => {
    const iris = new FakeIris(null);
    iris.loadOk = false;
    iris.textOk = false;
    await assert.rejects(ensureAgent(iris, SHIPPED_DIR), (err: unknown) => {
      assert.ok(err instanceof AgentInstallError && err instanceof IrisUnavailableError);
      assert.match(err.message, /Loading .*IrisEdge\.Agent\.cls/);
      assert.match(err.message, /Sending the class text/);
      return true;
    });
  });

  it('fails when the loaded class still reports another version', async () => {
    const iris = new FakeIris(null);
    iris.classMethodValue = (async (c: string, m: string, ...a: NativeArg[]) => {
      if (`${c}.${m}` === '%SYSTEM.OBJ.Load') {
        iris.installed = 0;
        return 1;
      }
      return FakeIris.prototype.classMethodValue.call(iris, c, m, ...a);
    }) as FakeIris['classMethodValue'];
    await assert.rejects(ensureAgent(iris, SHIPPED_DIR), new RegExp(`reports version 0 instead of ${SHIPPED}`));
  });

  it('other errors of Version() are not mistaken for "not installed"', async () => {
    const iris: NativeCalls = {
      classMethodValue: async () => {
        throw new IrisUnavailableError('COMMUNICATION LINK ERROR');
      },
    };
    await assert.rejects(ensureAgent(iris, SHIPPED_DIR), IrisUnavailableError);
  });

  it('a missing agent directory is a clear error', async () => {
    await assert.rejects(ensureAgent(new FakeIris(null), '/nonexistent/agent'), /cannot read the agent class/);
  });
});
