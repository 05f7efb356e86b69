import type { Config } from "../config/index.js";
import { CredentialVault, Inventory, interrogate, readPin } from "../discovery/index.js";
import type { Logger } from "../log/index.js";
import { SecretSealer } from "../pki/index.js";
import type { SimCameraInfo } from "../sim/index.js";
import { Store } from "../store/index.js";

/**
 * What a technician does on site, for simulated cameras: each camera interrogated with its
 * credentials, recorded in the inventory, approved and pinned, its credentials sealed. Returns the camera ids, in the
 * order of `cameras`.
 */
export async function enrolCameras(
  config: Config,
  cameras: readonly SimCameraInfo[],
  logger: Logger,
): Promise<string[]> {
  const store = new Store(config.store.path, logger.child({ component: "store" }));
  try {
    const repos = store.open();
    const vault = new CredentialVault(repos, await SecretSealer.open(config.secrets.keyFile));
    const inventory = new Inventory(repos);
    const ids: string[] = [];
    for (const camera of cameras) {
      const credentials = { username: camera.username, password: camera.password };
      const report = await interrogate(camera.xaddr, {
        credentials,
        callTimeoutMs: config.discovery.callTimeout,
      });
      report.name = camera.name;
      const id = inventory.record(report, { trust: "approved" }).camera.id;
      repos.cameras.approve(id, await readPin(report, config.discovery.callTimeout));
      vault.setForCamera(id, credentials);
      ids.push(id);
    }
    return ids;
  } finally {
    store.close();
  }
}
