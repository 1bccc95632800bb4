/** The tail of IRIS's messages.log (install-dir/mgr/messages.log). The path comes from the configuration, never from a request. */
import { open } from 'node:fs/promises';

const MAX_BYTES = 256 * 1024;

export type MessagesTail = { available: true; lines: string[] } | { available: false; reason: string; lines: string[] };

export async function tailFile(path: string | undefined, lines: number): Promise<MessagesTail> {
  if (!path) return { available: false, reason: 'No IRIS messages.log is known to the bridge (a remote or simulated IRIS).', lines: [] };
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist yet (IRIS has not started?)' : code === 'EACCES' ? 'is not readable by the bridge' : `cannot be opened (${code ?? (err as Error).message})`;
    return { available: false, reason: `${path} ${why}.`, lines: [] };
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, MAX_BYTES);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    let all = buf.toString('utf8').split(/\r?\n/);
    if (size > length) all = all.slice(1); // the first line is cut
    if (all.at(-1) === '') all.pop();
    return { available: true, lines: all.slice(-lines) };
  } finally {
    await fh.close();
  }
}
