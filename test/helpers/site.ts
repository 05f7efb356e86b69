import type { Config } from "../../src/config/index.js";
import { CredentialVault } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { Simulator, type SimulatorOptions } from "../../src/sim/index.js";
import { Store } from "../../src/store/index.js";
import { type CleanupScope, defer } from "./temp.js";

/** The factory pair the cameras of `factoryPasswordCameras` keep. */
export const FACTORY_CREDENTIALS = { username: "admin", password: "12345" };

/**
 * Hardened simulated cameras (a unique strong password each, WS-Discovery on the standard port)
 * on consecutive addresses from `baseIp`; stopped when the test ends.
 */
export async function hardenedCameras(
  t: CleanupScope,
  baseIp: string,
  cameras: number,
  options: Pick<SimulatorOptions, "override" | "discoveryPort"> = {},
): Promise<Simulator> {
  const sim = new Simulator({
    baseIp,
    cameras,
    profile: "hardened",
    ffmpeg: "ffmpeg",
    multicast: false,
    ...options,
  });
  await sim.start();
  defer(t, () => sim.stop());
  return sim;
}

/** The same, still with their factory password (a wrong password is refused). */
export function factoryPasswordCameras(
  t: CleanupScope,
  baseIp: string,
  cameras: number,
): Promise<Simulator> {
  return hardenedCameras(t, baseIp, cameras, {
    override: () => ({ weaknesses: { defaultCredentials: true } }),
  });
}

/** What a technician does before discovery: the site's default credentials, sealed in the store. */
export async function setSiteDefaultCredentials(
  config: Config,
  credentials = FACTORY_CREDENTIALS,
): Promise<void> {
  const store = new Store(config.store.path, silentLogger());
  try {
    new CredentialVault(
      store.open(),
      await SecretSealer.open(config.secrets.keyFile),
    ).setSiteDefault(credentials);
  } finally {
    store.close();
  }
}
