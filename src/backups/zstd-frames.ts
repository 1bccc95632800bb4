/**
 * Reading a zstd stream of one or many frames. Node's zstd decompressor (22.x) stops silently
 * after the first frame, and ends without an error when its input stops in the middle of one: a
 * multi-frame archive would look short and a truncated one complete. So the frame structure of
 * the compressed bytes is walked here (RFC 8878: frame header, then block headers whose sizes say
 * where the next one is) without decompressing, each frame goes through a decompressor of its
 * own, skippable frames are passed over, and the input must end exactly at the end of a frame.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BackupError } from './errors.ts';

const FRAME_MAGIC = 0xfd2fb528;
const isSkippable = (magic: number) => (magic & 0xfffffff0) >>> 0 === 0x184d2a50;

type State = { at: 'magic' } | { at: 'skippable-size' } | { at: 'descriptor' } | { at: 'block'; checksum: boolean };

/** Bytes of one frame, in order; `last` when they end it. */
export interface FramePiece {
  bytes: Buffer;
  last: boolean;
}

/** The frame structure of a zstd stream, followed across chunks. */
export class ZstdFrameWalker {
  private state: State = { at: 'magic' };
  private head = Buffer.alloc(0);
  private skip = 0;
  /** Within a frame (not a skippable one): its bytes are passed on. */
  private inFrame = false;
  /** Whole frames seen (skippable ones not counted). */
  frames = 0;

  /** The frames' bytes in `chunk` (skippable frames left out); throws on what is not zstd. */
  split(chunk: Buffer): FramePiece[] {
    const pieces: FramePiece[] = [];
    let from = 0;
    const pos = { i: 0 };
    const endFrame = () => {
      pieces.push({ bytes: chunk.subarray(from, pos.i), last: true });
      this.inFrame = false;
    };
    while (pos.i < chunk.length) {
      if (this.skip) {
        const n = Math.min(this.skip, chunk.length - pos.i);
        this.skip -= n;
        pos.i += n;
        if (!this.skip && this.state.at === 'magic' && this.inFrame) endFrame();
        continue;
      }
      const s = this.state;
      const at = pos.i;
      if (s.at === 'magic') {
        const h = this.headerBytes(chunk, pos, 4);
        if (!h) break;
        const magic = h.readUInt32LE(0);
        if (magic === FRAME_MAGIC) {
          this.state = { at: 'descriptor' };
          this.inFrame = true;
          // A magic number split across chunks is passed on whole, from its copy.
          if (pos.i - at === 4) from = at;
          else {
            pieces.push({ bytes: h, last: false });
            from = pos.i;
          }
        } else if (isSkippable(magic)) this.state = { at: 'skippable-size' };
        else throw new BackupError('bad-archive', 'The archive is damaged: after its zstd data comes something that is not zstd.');
      } else if (s.at === 'skippable-size') {
        const h = this.headerBytes(chunk, pos, 4);
        if (!h) break;
        this.skip = h.readUInt32LE(0);
        this.state = { at: 'magic' };
      } else if (s.at === 'descriptor') {
        const h = this.headerBytes(chunk, pos, 1);
        if (!h) break;
        const fhd = h[0]!;
        const fcsFlag = fhd >> 6;
        const single = (fhd & 0x20) !== 0;
        const dict = [0, 1, 2, 4][fhd & 3]!;
        const fcs = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
        // Window descriptor, dictionary id and content size: nothing this walk needs.
        this.skip = (single ? 0 : 1) + dict + fcs;
        this.state = { at: 'block', checksum: (fhd & 4) !== 0 };
      } else {
        const h = this.headerBytes(chunk, pos, 3);
        if (!h) break;
        const v = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        const type = (v >> 1) & 3;
        if (type === 3) throw new BackupError('bad-archive', 'The archive is damaged: its zstd data has an invalid block.');
        this.skip = type === 1 ? 1 : v >>> 3;
        if ((v & 1) === 1) {
          this.frames += 1;
          this.skip += s.checksum ? 4 : 0;
          this.state = { at: 'magic' };
          if (!this.skip) endFrame();
        }
      }
    }
    if (this.inFrame && pos.i > from) pieces.push({ bytes: chunk.subarray(from, pos.i), last: false });
    return pieces;
  }

  /** True when the stream so far ends at the end of a frame. */
  atBoundary(): boolean {
    return this.state.at === 'magic' && !this.head.length && !this.skip;
  }

  /** Takes `n` header bytes from the chunk (across chunks); undefined until all are there. */
  private headerBytes(chunk: Buffer, pos: { i: number }, n: number): Buffer | undefined {
    const want = n - this.head.length;
    const got = chunk.subarray(pos.i, pos.i + want);
    pos.i += got.length;
    this.head = this.head.length ? Buffer.concat([this.head, got]) : Buffer.from(got);
    if (this.head.length < n) return undefined;
    const h = this.head;
    this.head = Buffer.alloc(0);
    return h;
  }
}

/**
 * The decompressed bytes of every frame, in order, each frame through a new decompressor from
 * `open`. A chunk is taken only when the previous one's output has been passed on, so memory
 * stays bounded by the stream's backpressure.
 */
export class ZstdFramesDecompressor extends Transform {
  private readonly walker = new ZstdFrameWalker();
  private current: Transform | undefined;

  constructor(private readonly open: () => Transform) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.feed(chunk).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (!this.walker.atBoundary()) {
      done(new BackupError('bad-archive', 'The archive is damaged: it ends in the middle of its zstd data (it was cut short, e.g. by a full disk or an interrupted copy).'));
      return;
    }
    if (this.walker.frames === 0) {
      done(new BackupError('bad-archive', 'The archive holds no zstd frame: it is empty or not a zstd archive.'));
      return;
    }
    done();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.current?.destroy();
    done(err);
  }

  private async feed(chunk: Buffer): Promise<void> {
    for (const piece of this.walker.split(chunk)) {
      const d = (this.current ??= this.start());
      if (piece.bytes.length) await written(d, piece.bytes);
      if (piece.last) {
        this.current = undefined;
        d.end();
        // Every byte of this frame is passed on before the next frame's first.
        await finished(d);
      }
    }
  }

  private start(): Transform {
    const d = this.open();
    d.on('data', (b: Buffer) => this.push(b));
    // Errors reach feed() through written() and finished().
    d.on('error', () => {});
    return d;
  }
}

/**
 * Resolves when the decompressor has taken `bytes`. On damaged data zlib emits 'error' and never
 * calls the write's callback, so the error is listened for too.
 */
function written(d: Transform, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    d.once('error', reject);
    d.write(bytes, (err) => {
      d.off('error', reject);
      if (err) reject(err);
      else resolve();
    });
  });
}
