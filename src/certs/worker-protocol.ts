/** Messages between the certificate worker pool (cert-workers.ts) and its threads (worker.ts). */
import type { KeyObject } from 'node:crypto';
import type { CertInfo } from '../model/cert-info.ts';
import type { DecodeInput } from './decode.ts';
import type { ChainResult } from './verify.ts';

export type ToWorker =
  | { id: number; op: 'decode'; input: DecodeInput }
  | {
      id: number;
      op: 'chains';
      /** Each certificate once, as DER; chains name them by index. */
      table: Buffer[];
      /** Built under one ChainBudget together. */
      chains: { leaf: number; bundle: number[]; useSystemRoots: boolean }[];
    };

export type WorkerResult =
  | { op: 'decode'; certs: { der: Uint8Array; info: CertInfo }[]; keys: KeyObject[]; notes: string[] }
  | { op: 'chains'; chains: ChainResult[] };

export type FromWorker =
  | { id: number; result: WorkerResult; error?: undefined }
  | { id: number; result?: undefined; error: { certError: boolean; code: string; message: string; status: number } };

/** A Buffer sent between threads arrives as a plain Uint8Array; this views the same bytes as a Buffer again. */
export const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
