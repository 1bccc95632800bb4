/**
 * The certificate worker thread (cert-workers.ts starts it): reading uploads and building chains
 * run here, where a PKCS#12 made with a million KDF iterations or a bundle built to make chain
 * building slow costs this thread, and the pool's deadline, never the bridge's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { CertError } from './errors.ts';
import { decodeInput } from './decode.ts';
import { parseCertificate } from './inspect.ts';
import { buildChain, ChainBudget } from './verify.ts';
import type { FromWorker, ToWorker, WorkerResult } from './worker-protocol.ts';

/** A Buffer sent to a thread arrives as a plain Uint8Array. */
const asBuffer = (b: Uint8Array | undefined): Buffer | undefined => (b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : undefined);

function run(msg: ToWorker): WorkerResult {
  if (msg.op === 'decode') {
    const d = decodeInput({ ...msg.input, der: asBuffer(msg.input.der), pkcs12: asBuffer(msg.input.pkcs12) });
    return { op: 'decode', certs: d.certs.map((c) => ({ der: c.der, info: c.info })), keys: d.keys, notes: d.notes };
  }
  const parsed = msg.table.map((der) => parseCertificate(asBuffer(der)!));
  // One budget for every chain of the request, as on the main thread before.
  const budget = new ChainBudget(msg.limit);
  return { op: 'chains', chains: msg.chains.map((c) => buildChain(parsed[c.leaf]!, c.bundle.map((i) => parsed[i]!), { useSystemRoots: c.useSystemRoots, budget })) };
}

parentPort?.on('message', (msg: ToWorker) => {
  let reply: FromWorker;
  try {
    reply = { id: msg.id, result: run(msg) };
  } catch (err) {
    reply =
      err instanceof CertError
        ? { id: msg.id, error: { certError: true, code: err.code, message: err.message, status: err.status } }
        : { id: msg.id, error: { certError: false, code: 'internal', message: (err as Error).message, status: 500 } };
  }
  parentPort?.postMessage(reply);
});
