import { join } from "node:path";
import type { AgentEvents } from "../../src/agent-events.js";
import { CredentialVault } from "../../src/discovery/index.js";
import { EventLog } from "../../src/events/index.js";
import { EventBus } from "../../src/lifecycle/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { Store } from "../../src/store/index.js";
import { type ApprovableCamera, approveCameras } from "./inventory.js";
import { defer, tempDir } from "./temp.js";

/** Every camera approved in a fresh store, its credentials in the vault, an EventLog on a bus. */
export async function approvedSite(
  t: Parameters<typeof tempDir>[0],
  cameras: readonly ApprovableCamera[],
) {
  const dir = await tempDir(t);
  const store = new Store(join(dir, "camgate.db"), silentLogger());
  await store.start(new AbortController().signal);
  defer(t, () => store.stop());
  const vault = new CredentialVault(store.repos, await SecretSealer.open(join(dir, "seal.key")));
  const ids = approveCameras(store.repos, vault, cameras);
  const bus = new EventBus<AgentEvents>(() => undefined);
  return { store, vault, bus, log: new EventLog(store, bus, silentLogger()), ids };
}
