import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { readPrivateKey } from "./certificates.js";
import { TlsMaterialError } from "./errors.js";

export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** Reads the CA, certificate and key; the key must be private to the service user (0600). */
export async function readTlsMaterial(paths: {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}): Promise<TlsMaterial> {
  if (!paths.ca || !paths.cert || !paths.key) {
    throw new TlsMaterialError("uplink.ca, uplink.cert and uplink.key are all required");
  }
  const read = (path: string, what: string) =>
    readFile(path, "utf8").catch((error: unknown) => {
      throw new TlsMaterialError(`cannot read the ${what} ${path}`, { cause: error });
    });
  const [ca, cert, key] = await Promise.all([
    read(paths.ca, "CA certificate"),
    read(paths.cert, "box certificate"),
    readPrivateKey(paths.key),
  ]);
  return { ca, cert, key };
}

export interface MutualTlsOptions extends TlsMaterial {
  rejectUnauthorized: true;
  minVersion: "TLSv1.2";
  servername?: string;
}

/**
 * TLS settings of every MQTT connection, box and center alike: the configured CA only, the
 * broker's name checked against its certificate, TLS 1.2 or newer. There is deliberately no way
 * to loosen any of it.
 */
export function tlsOptions(url: URL, material: TlsMaterial): MutualTlsOptions {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return {
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
    ...(isIP(host) === 0 ? { servername: host } : {}),
  };
}
