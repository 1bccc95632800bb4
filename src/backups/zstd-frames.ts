/**
 * Node's zstd decompressor (22.x) ends without an error when its input stops in the middle of a
 * frame, and stops silently after the first frame: a truncated archive would just look shorter.
 * This pass-through walks the zstd frame structure of the compressed bytes (RFC 8878: frame
 * header, then block headers whose sizes say where the next one is) without decompressing, and
 * fails when the input ends anywhere but at the end of a frame.
 *
 * Frames after the first must be empty. Node's compressor writes one now and then: when the
 * stream is ending as its last chunk is compressed, that chunk ends the frame, and the final
 * flush then starts and ends another, empty one (seen in bench:backup under load). Readers lose
 * nothing by it; a later frame with data is refused, as Node would not read it.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { BackupError } from './errors.ts';

const FRAME_MAGIC = 0xfd2fb528;
const isSkippable = (magic: number) => (magic & 0xfffffff0) >>> 0 === 0x184d2a50;

type State = { at: 'magic' } | { at: 'skippable-size' } | { at: 'descriptor' } | { at: 'block'; checksum: boolean };

export class ZstdFrameCheck extends Transform {
  private state: State = { at: 'magic' };
  private head = Buffer.alloc(0);
  private skip = 0;
  private frames = 0;
  private frameHasData = false;
  private dataAfterFirstFrame = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.walk(chunk);
    } catch (err) {
      done(err as Error);
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.state.at !== 'magic' || this.head.length || this.skip) {
      done(new BackupError('bad-archive', 'The archive is damaged: it ends in the middle of its zstd data (it was cut short, e.g. by a full disk or an interrupted copy).'));
      return;
    }
    if (this.frames === 0 || this.dataAfterFirstFrame) {
      // Node reads only the first frame; more (pzstd, or files joined with cat) would be lost.
      done(new BackupError('bad-archive', `The archive holds ${this.frames} zstd frames with data; IRIS Edge reads archives whose data is in one frame, as it writes them. \`zstd -dc in.tar.zst | zstd -1 -o out.tar.zst\` makes one.`));
      return;
    }
    done();
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

  private walk(chunk: Buffer): void {
    const pos = { i: 0 };
    while (pos.i < chunk.length) {
      if (this.skip) {
        const n = Math.min(this.skip, chunk.length - pos.i);
        this.skip -= n;
        pos.i += n;
        if (this.skip) return;
        continue;
      }
      const s = this.state;
      if (s.at === 'magic') {
        const h = this.headerBytes(chunk, pos, 4);
        if (!h) return;
        const magic = h.readUInt32LE(0);
        if (magic === FRAME_MAGIC) this.state = { at: 'descriptor' };
        else if (isSkippable(magic)) this.state = { at: 'skippable-size' };
        else throw new BackupError('bad-archive', 'The archive is damaged: after its zstd data comes something that is not zstd.');
      } else if (s.at === 'skippable-size') {
        const h = this.headerBytes(chunk, pos, 4);
        if (!h) return;
        this.skip = h.readUInt32LE(0);
        this.state = { at: 'magic' };
      } else if (s.at === 'descriptor') {
        const h = this.headerBytes(chunk, pos, 1);
        if (!h) return;
        const fhd = h[0]!;
        const fcsFlag = fhd >> 6;
        const single = (fhd & 0x20) !== 0;
        const dict = [0, 1, 2, 4][fhd & 3]!;
        const fcs = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
        // Window descriptor, dictionary id and content size: nothing this check needs.
        this.skip = (single ? 0 : 1) + dict + fcs;
        this.state = { at: 'block', checksum: (fhd & 4) !== 0 };
      } else {
        const h = this.headerBytes(chunk, pos, 3);
        if (!h) return;
        const v = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        const last = (v & 1) === 1;
        const type = (v >> 1) & 3;
        const size = v >>> 3;
        if (type === 3) throw new BackupError('bad-archive', 'The archive is damaged: its zstd data has an invalid block.');
        this.skip = type === 1 ? 1 : size;
        if (size > 0) this.frameHasData = true;
        if (last) {
          this.frames += 1;
          if (this.frames > 1 && this.frameHasData) this.dataAfterFirstFrame = true;
          this.frameHasData = false;
          this.skip += s.checksum ? 4 : 0;
          this.state = { at: 'magic' };
        }
      }
    }
  }
}
