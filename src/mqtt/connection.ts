import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../log/logger.ts';

export interface MqttConnectOptions {
  url: string;
  username?: string;
  password?: string;
  instanceId: string;
  /** Last Will: the broker publishes it when the bridge vanishes without a clean disconnect. */
  will: { topic: string; payload: string };
}

const FIRST_RETRY_MS = 1000;
const noLog = (): void => undefined;
const MAX_RETRY_MS = 30_000;

/** The broker URL without credentials, for log lines. */
export function describeBroker(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? ':' + u.port : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Connects with a unique client id (two bridges sharing one would kick each other off in a loop,
 * each kick firing the other's Last Will) and retries with exponential backoff, saying so.
 */
export function connectMqtt(opts: MqttConnectOptions, log: Logger): MqttClient {
  const broker = describeBroker(opts.url);
  const client = mqtt.connect(opts.url, {
    clientId: `iris-edge_${opts.instanceId}_${randomBytes(4).toString('hex')}`,
    username: opts.username,
    password: opts.password,
    clean: true,
    // MQTT 5 lets command subscriptions keep the retain flag of live messages ("retain as
    // published"), so a retained command is recognised even when it arrives live.
    protocolVersion: 5,
    reconnectPeriod: FIRST_RETRY_MS,
    connectTimeout: 10_000,
    will: { topic: opts.will.topic, payload: Buffer.from(opts.will.payload), qos: 1, retain: true },
    // Otherwise mqtt-packet fills a cache of all 65,536 two-byte numbers (one Buffer each) on the
    // first write: 7.1 MB of the bridge's 40 MB heap (bench:resources' retainers), to save
    // allocating 2 bytes per packet.
    writeCache: false,
    // mqtt.js calls its debug logger 21 times per QoS 1 message and its PUBACK, and each call
    // takes its arguments as an array whether the logger is on or not: in a discovery burst at
    // start that was about 5 KB of garbage per message. Its output stays one DEBUG=mqttjs* away.
    ...(process.env.DEBUG ? {} : { log: noLog }),
  });
  let retryMs = FIRST_RETRY_MS;
  let everConnected = false;
  let lastError = '';
  client.on('connect', () => {
    log.info(`${everConnected ? 'Reconnected' : 'Connected'} to the MQTT broker at ${broker}`);
    everConnected = true;
    retryMs = FIRST_RETRY_MS;
    client.options.reconnectPeriod = retryMs;
  });
  client.on('error', (err) => {
    lastError = err.message;
    // Authorisation failures will not heal by retrying faster; say what to fix.
    if ('code' in err && (err.code === 4 || err.code === 5 || err.code === 134 || err.code === 135)) {
      log.error(`The MQTT broker at ${broker} refused the credentials (${err.message}). Check the MQTT user and password.`);
    }
  });
  client.on('reconnect', () => {
    log.debug(`Connecting to the MQTT broker at ${broker}…`);
  });
  client.on('close', () => {
    if (client.disconnecting) return;
    log.warn(
      `The MQTT broker at ${broker} is not reachable${lastError ? ` (${lastError})` : ''}; retrying in ${Math.round(retryMs / 1000)} s`,
    );
    client.options.reconnectPeriod = retryMs;
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    lastError = '';
  });
  return client;
}
