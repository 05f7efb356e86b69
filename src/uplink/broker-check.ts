import mqtt from "mqtt";
import { type TlsMaterial, tlsOptions } from "../pki/index.js";

/**
 * Connects once with the box's certificate and leaves at once: does the broker accept this box?
 * Rejects with mqtt.js's error (TLS, refused CONNECT, timeout). For provisioning, before the
 * agent runs; the agent's own connection is UplinkSession's.
 */
export async function checkBrokerAccepts(
  broker: string,
  material: TlsMaterial,
  clientId: string,
): Promise<void> {
  const client = await mqtt.connectAsync(
    broker,
    {
      protocolVersion: 5,
      clientId,
      clean: true,
      connectTimeout: 10_000,
      reconnectPeriod: 0,
      ...tlsOptions(new URL(broker), material),
    },
    false,
  );
  await client.endAsync();
}
