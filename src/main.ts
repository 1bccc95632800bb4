/** Process entry point: configuration, logging, signals. Errors that stop the start are reported here, once. */
import { startBridge, type RunningBridge } from './app.ts';
import { ConfigError } from './config/errors.ts';
import { loadConfig } from './config/load.ts';
import { SupervisorError } from './ha/supervisor.ts';
import { createLogger } from './log/logger.ts';
import { LogBuffer } from './panel/log-buffer.ts';
import { BRIDGE_VERSION } from './version.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ env: process.env, argv: process.argv.slice(2) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`IRIS Edge cannot start. ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // The panel's Logs page shows the most recent lines.
  const logs = new LogBuffer(1000);
  const log = createLogger(config.logLevel, process.stdout, logs);
  log.info(`IRIS Edge ${BRIDGE_VERSION} starting`);
  if (config.iris.mode === 'simulator') {
    log.warn(
      'No IRIS is configured: running against the built-in IRIS SIMULATOR (demo data, not a real IRIS). Set IRIS_HOST, IRIS_USER and IRIS_PASSWORD to use a real one.',
    );
  } else if (config.iris.driver === 'simulator') {
    log.warn(`IRIS_EDGE_IRIS_DRIVER=simulator: ${config.iris.host}:${config.iris.port} is an IRIS SIMULATOR (npm run simulator), not a real IRIS.`);
  }

  let running: RunningBridge | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await running?.stop().catch((err: unknown) => log.error({ err }, 'Error while stopping'));
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    running = await startBridge(config, log, { panelLogs: logs });
  } catch (err) {
    if (err instanceof SupervisorError) {
      log.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  log.info(`Mirroring ${running.monitor.view.productions.length} productions from ${running.iris.target}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`IRIS Edge stopped on an unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
