/** Pass-through streams of the backup room: counting (progress, size limits) and hashing what flows. */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

export interface Digest {
  size: number;
  sha256: string;
}

/** A pass-through that counts what flows through it (progress, size limits). */
export class CountingStream extends Transform {
  size = 0;

  constructor(private readonly onBytes: (n: number) => void = () => {}) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.size += chunk.length;
    this.onBytes(chunk.length);
    done(null, chunk);
  }
}

/** A pass-through that counts and hashes what flows through it. */
export class HashingStream extends CountingStream {
  private readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    super._transform(chunk, enc, done);
  }

  digest(): Digest {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}
