/**
 * Writes a zstd stream as a run of independent frames, one per FRAME_BYTES of input, compressed on
 * several of libuv's threads at once and written to the file in order. Frames one after another
 * are one standard zstd stream (RFC 8878 §3.1): `zstd -d` and `tar --zstd` read them as one.
 *
 * Node's zstd is single-threaded per stream, and a stream whose frame is split by hand cannot be
 * compressed in parallel, so each frame is its own one-shot compression (zlib.zstdCompress runs
 * on the thread pool, the event loop stays free). Memory is bounded: at most `lanes` blocks are
 * being compressed while one more is filled, and the blocks are reused.
 * The file is flushed to disk as it grows (files/flush-behind.ts).
 */
import { availableParallelism } from 'node:os';
import type { FileHandle } from 'node:fs/promises';
import { compressFrame } from './codec.ts';
import { FlushBehind, writeAt } from '../files/flush-behind.ts';

/** 4 MiB: large enough that starting a frame costs nothing measurable (about 0.5 % in size). */
export const FRAME_BYTES = 4 << 20;

/** Compressions at once on `cores` cores: all of them, but no more than 3, so the bridge and IRIS keep a share. */
export const lanesFor = (cores: number) => Math.max(1, Math.min(cores, 3));
export const defaultLanes = () => lanesFor(availableParallelism());

interface InFlight {
  block: Buffer;
  frame: Promise<Buffer>;
}

export class ZstdFrameWriter {
  private block: Buffer;
  private filled = 0;
  private readonly spare: Buffer[] = [];
  private readonly inFlight: InFlight[] = [];
  private readonly flush: FlushBehind;

  /** `at`: the file offset the first frame goes to; afterwards, where the next one goes. */
  constructor(
    private readonly file: FileHandle,
    private at: number,
    private readonly level: number,
    private readonly lanes = defaultLanes(),
    private readonly frameBytes = FRAME_BYTES,
    private readonly compress = compressFrame,
    /** Default: FlushBehind's. */
    flushBytes?: number,
  ) {
    this.block = Buffer.allocUnsafe(frameBytes);
    this.flush = new FlushBehind(file, flushBytes);
  }

  /**
   * Free space in the current block, at most `max` bytes, to be filled in place (a file read
   * straight into it) and then counted with commit(). Never empty.
   */
  async room(max: number): Promise<Buffer> {
    if (this.filled === this.block.length) await this.submit();
    return this.block.subarray(this.filled, this.filled + Math.min(max, this.block.length - this.filled));
  }

  commit(n: number): void {
    this.filled += n;
  }

  /** Copies `bytes` into the stream. */
  async write(bytes: Buffer): Promise<void> {
    for (let i = 0; i < bytes.length; ) {
      const room = await this.room(bytes.length - i);
      bytes.copy(room, 0, i, i + room.length);
      this.commit(room.length);
      i += room.length;
    }
  }

  /** Compresses and writes what is left; returns the file offset after the last frame. */
  async end(): Promise<number> {
    if (this.filled) await this.submit();
    while (this.inFlight.length) await this.writeOldest();
    await this.flush.settled();
    return this.at;
  }

  /**
   * Gives up: waits for the compressions under way (their blocks must not be reused or freed
   * under them) and ignores their results.
   */
  async abandon(): Promise<void> {
    await Promise.allSettled([...this.inFlight.splice(0).map((f) => f.frame), this.flush.settled()]);
  }

  private async submit(): Promise<void> {
    while (this.inFlight.length >= this.lanes) await this.writeOldest();
    const frame = this.compress(this.block.subarray(0, this.filled), this.level);
    // Awaited in order by writeOldest; until then a failure must not count as unhandled.
    frame.catch(() => {});
    this.inFlight.push({ block: this.block, frame });
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(this.frameBytes);
    this.filled = 0;
  }

  private async writeOldest(): Promise<void> {
    const oldest = this.inFlight[0]!;
    const bytes = await oldest.frame;
    this.inFlight.shift();
    this.spare.push(oldest.block);
    await writeAt(this.file, bytes, this.at);
    this.at += bytes.length;
    await this.flush.wrote(bytes.length);
  }
}
