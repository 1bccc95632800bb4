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
import { asBuffer, type FromWorker, type ToWorker, type WorkerResult } from './worker-protocol.ts';

function run(msg: ToWorker): WorkerResult {
  if (msg.op === 'decode') {
    const { der, pkcs12 } = msg.input;
    const d = decodeInput({ ...msg.input, der: der && asBuffer(der), pkcs12: pkcs12 && asBuffer(pkcs12) });
    return { op: 'decode', certs: d.certs.map((c) => ({ der: c.der, info: c.info })), keys: d.keys, notes: d.notes };
  }
  const parsed = msg.table.map((der) => parseCertificate(asBuffer(der)));
  const budget = new ChainBudget();
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
