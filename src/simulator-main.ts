/**
 * `npm run simulator`: the simulated IRIS alone, in a process of its own, as IRIS is to the bridge
 * in the add-on. It prints on stdout the environment a bridge needs to reach it (IRIS_HOST and the
 * rest, with IRIS_EDGE_IRIS_DRIVER=simulator), logs on stderr, and runs until SIGTERM or SIGINT.
 * `npm run bench:resources` measures the bridge this way too: the simulator's memory and work are
 * not the bridge's, and in the image IRIS runs in processes of its own.
 * Flags: --port and --web-port (superserver and /api/monitor; default any free port); the scenario,
 * state directory and log level come from the same settings as the bridge's (README).
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulatedInstance, type SimulatedInstance } from './compose/simulated-instance.ts';
import { ConfigError } from './config/errors.ts';
import { loadConfig } from './config/load.ts';
import { writeAtomic } from './files/atomic-write.ts';
import { createLogger } from './log/logger.ts';

const USAGE = 'usage: npm run simulator -- [--port <superserver port>] [--web-port <web server port>]';

function portFlag(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ConfigError(`--${flag} must be a port number from 0 (any free port) to 65535, not "${value}".\n${USAGE}`);
  return port;
}

async function main(): Promise<void> {
  let config;
  let ports;
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { port: { type: 'string' }, 'web-port': { type: 'string' } } });
    ports = { superserver: portFlag(values.port, 'port'), web: portFlag(values['web-port'], 'web-port') };
    config = loadConfig({ env: { ...process.env, IRIS_EDGE_SIMULATOR: '1' }, argv: [] });
  } catch (err) {
    const known = err instanceof ConfigError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if (!known) throw err;
    process.stderr.write(`The IRIS simulator cannot start. ${(err as Error).message}${err instanceof ConfigError ? '' : `\n${USAGE}`}\n`);
    process.exit(2);
  }
  if (config.iris.mode !== 'simulator') throw new Error('loadConfig ignored IRIS_EDGE_SIMULATOR=1');
  const log = createLogger(config.logLevel, process.stderr);
  let simulated: SimulatedInstance | undefined;
  const stop = (signal: string) => {
    log.info(`${signal} received: stopping the IRIS simulator`);
    void (simulated?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    simulated = await startSimulatedInstance(config.iris, { stateDir: config.stateDir, agentDir: config.agentDir }, log, ports);
  } catch (err) {
    const { syscall, code, port } = err as NodeJS.ErrnoException & { port?: number };
    if (syscall !== 'listen') throw err;
    const why = code === 'EADDRINUSE' ? 'is in use' : `cannot be opened (${code})`;
    process.stderr.write(`The IRIS simulator cannot start. Port ${port} ${why}: choose another with --port or --web-port (0: any free port).\n`);
    process.exit(2);
  }
  const logins = resolve(config.stateDir, 'simulator-logins');
  await mkdir(logins, { recursive: true, mode: 0o700 });
  // A password file only this user can read, as the add-on's setup writes the bridge's.
  const secretFile = async (name: string, secret: string) => {
    const path = resolve(logins, name);
    await writeAtomic(path, `${secret}\n`, { mode: 0o600 });
    return path;
  };
  const env = {
    IRIS_HOST: simulated.superserver.host,
    IRIS_PORT: String(simulated.superserver.port),
    IRIS_WEB_PORT: String(simulated.api.port),
    IRIS_USER: simulated.credentials.username,
    IRIS_PASSWORD_FILE: await secretFile('bridge', simulated.credentials.password),
    IRIS_SENSORS_USER: simulated.sensorCredentials.username,
    IRIS_SENSORS_PASSWORD_FILE: await secretFile('sensors', simulated.sensorCredentials.password),
    IRIS_EDGE_IRIS_DRIVER: 'simulator',
  };
  process.stdout.write(Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
  log.info(`The IRIS simulator (scenario ${config.iris.scenario}) listens on ${env.IRIS_HOST}:${env.IRIS_PORT}, /api/monitor on port ${env.IRIS_WEB_PORT}; a bridge started with the environment above reaches it.`);
}

main().catch((err: unknown) => {
  process.stderr.write(`The IRIS simulator stopped on an unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
