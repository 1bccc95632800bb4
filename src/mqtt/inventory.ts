/** The start-up scan of the retained discovery topics an earlier run left on the broker. */
import type { IPublishPacket, MqttClient } from 'mqtt';

/**
 * Resolves once retained messages under `prefix` stop coming: the broker sends them right after
 * SUBACK, so `windowMs` without one (300 ms after the last, at most) means they are all in. Only
 * retained copies count: the bridge's own first publishes, which overlap the scan, come back live
 * with the retain flag cleared and must not keep it open.
 */
export function retainedQuietPeriod(client: MqttClient, prefix: string, windowMs: number): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(resolve, windowMs);
    const bump = (topic: string, _payload: Buffer, packet: IPublishPacket) => {
      if (!packet.retain || !topic.startsWith(prefix)) return;
      clearTimeout(timer);
      timer = setTimeout(resolve, Math.min(300, windowMs));
    };
    client.on('message', bump);
    setTimeout(() => client.off('message', bump), windowMs * 4).unref();
  });
}
