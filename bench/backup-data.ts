/**
 * Database blocks for bench:backup that a codec can be judged on: half random pages, half
 * text-like records, picked block by block.
 *
 * What real IRIS.DAT content looks like: 8 KB blocks. Global data blocks hold nodes whose
 * subscripts are prefix-compressed and whose values are $ListBuild records (dates, codes, names,
 * amounts, message bodies): text-like, 3-6x compressible. Big-string and stream blocks carry
 * whatever the application stores, often already compressed (PDF, images, HL7 batches zipped):
 * incompressible. With database encryption every block is random to a codec. Blocks free after an
 * expansion are zeros and cost nothing. So a real instance lies between "all text" and "all
 * random"; half and half is a fair middle, and an encrypted one is the all-random end.
 *
 * The random pages come from crypto.randomFillSync; the records from sfc32 (period about 2^127),
 * so neither repeats within any amount a bench writes.
 */
import { randomFillSync } from 'node:crypto';
import { BLOCK_SIZE } from '../src/iris/simulator/databases.ts';

/** sfc32 (Chris Doty-Humphrey's small fast counting generator): 32-bit state words, no short cycles. */
function sfc32(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

const WORDS = (
  'order lab result patient sample invoice shipment pending shipped delivered cancelled received ' +
  'glucose sodium potassium creatinine hemoglobin cholesterol urgent routine ward clinic north south ' +
  'east west pump valve sensor room kitchen garage boiler meter kWh litre batch lot supplier widget ' +
  'gasket bearing motor cable fuse relay panel Amsterdam Berlin Lisbon Madrid Paris Rome Vienna Oslo ' +
  'Smith Jones Garcia Muller Rossi Dubois Silva Novak Jensen Virtanen HL7 ORU ORM ADT ACK MSH PID OBR OBX'
).split(' ');

/** A block generator: `mix` is the share of random pages (0.5 = the bench's half and half). */
export function realisticBlocks(seed = 1, mix = 0.5): (stamp: string) => Buffer {
  const next = sfc32(seed);
  const word = () => WORDS[next() % WORDS.length];
  let id = 100000;
  return (stamp) => {
    const b = Buffer.alloc(BLOCK_SIZE);
    const head = b.write(`${stamp}\n`);
    if (next() / 2 ** 32 < mix) {
      randomFillSync(b, head);
      return b;
    }
    // Global nodes as ^DATA(id,"sub")=$lb(...) read as text: rising ids, dates, codes, amounts.
    let at = head;
    while (at < BLOCK_SIZE) {
      id += 1 + (next() % 7);
      const day = 1 + (next() % 28);
      const rec = `^D(${id},"${word()}")=$lb("2026-11-${day < 10 ? '0' : ''}${day}T${next() % 24}:${next() % 60}","${word()} ${word()}",${next() % 1000}.${next() % 100},"${word()}",${next() % 100000})\n`;
      at += b.write(rec, at);
    }
    return b;
  };
}
