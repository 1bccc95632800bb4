import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths that could carry secrets anywhere in a log object. pino removes them before a line is
 * written, so a careless `log.info({ config })` cannot leak a password into the add-on log.
 */
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'mqttPassword',
  '*.mqttPassword',
];

/**
 * One human-readable line per event: the add-on log is read by people in the Home Assistant UI,
 * not by a log shipper. Synchronous so that a fatal start error is on screen before exit.
 */
export function createLogger(
  level: LogLevel = 'info',
  destination: NodeJS.WritableStream = process.stdout,
  /** A second destination (the panel's log buffer); it filters by level itself. */
  tee?: pino.DestinationStream,
): Logger {
  const stream = pretty({
    colorize: false,
    sync: true,
    destination,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  const options = {
    level: level === 'warning' ? 'warn' : level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: undefined,
  };
  if (!tee) return pino(options, stream);
  return pino(options, pino.multistream([{ level: 'trace', stream }, { level: 'trace', stream: tee }]));
}
