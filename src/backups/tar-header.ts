/**
 * The tar framing of an archive, written straight into the compressor's blocks: a ustar header
 * before each file, zeros to its next 512-byte boundary, two zero blocks at the end. An archive
 * holds only regular files with short names, so this is all of tar it needs; a size of 8 GiB or
 * more (a large IRIS.DAT) is written base-256, as GNU tar and tar-stream read it.
 */
export const TAR_BLOCK = 512;
export const TAR_END = Buffer.alloc(2 * TAR_BLOCK);

const OCTAL_SIZE_LIMIT = 8 ** 11;

function octal(h: Buffer, at: number, width: number, n: number): void {
  h.write(`${n.toString(8).padStart(width - 1, '0')}\0`, at, width, 'ascii');
}

/** The 512-byte ustar header of a regular file. */
export function tarHeader(name: string, size: number, mode: number, mtime: Date): Buffer {
  const h = Buffer.alloc(TAR_BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name over 100 bytes: ${name}`);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (size < OCTAL_SIZE_LIMIT) octal(h, 124, 12, size);
  else {
    h[124] = 0x80;
    let rest = size;
    for (let i = 135; i > 124; i--, rest = Math.floor(rest / 256)) h[i] = rest % 256;
  }
  octal(h, 136, 12, Math.floor(mtime.getTime() / 1000));
  h.write('0', 156, 'ascii');
  h.write('ustar\x0000', 257, 8, 'ascii');
  // The checksum is the byte sum of the header with its own field read as spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** Zeros from the end of a file of `size` bytes to its next 512-byte boundary. */
export const tarPadding = (size: number) => Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
