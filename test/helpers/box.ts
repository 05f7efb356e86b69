import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Agent } from "../../src/agent.js";
import { type Config, parseConfigText } from "../../src/config/index.js";
import { silentLogger } from "../../src/log/index.js";
import type { SegmentRecord, Store } from "../../src/store/index.js";
import type { UplinkSession } from "../../src/uplink/index.js";
import { seedCameras, waitFor } from "./recording.js";
import { hardenedCameras } from "./site.js";
import { type CleanupScope, defer } from "./temp.js";
import { uplinkLines, type UplinkWorld } from "./uplink.js";

export interface BoxCamera {
  id: string;
  ip: string;
  streamUri: string;
  username: string;
  password: string;
  /** The ONVIF device service: given, the agent subscribes to the camera's events. */
  xaddr?: string;
}

export interface Box {
  agent: Agent;
  config: Config;
  file: string;
  store: Store;
  session: UplinkSession;
  stop: () => Promise<void>;
}

/**
 * A whole agent in this process, talking to the world's broker with its own certificate: the
 * cameras seeded as approved, discovery and audit off unless `lines.other` says otherwise.
 */
export async function startBox(
  t: CleanupScope,
  world: UplinkWorld,
  dir: string,
  site: string,
  cameras: readonly BoxCamera[],
  lines: { uplink?: string; other?: string[]; discovery?: string } = {},
): Promise<Box> {
  const identity = await world.pki.issue(site);
  const text = [
    `site: {id: ${site}}`,
    `store: {path: ${join(dir, `${site}.db`)}}`,
    `secrets: {keyFile: ${join(dir, `${site}-seal.key`)}}`,
    `storage: {dir: ${join(dir, `${site}-rec`)}, segmentSeconds: 2, minFreeBytes: 0}`,
    `discovery: ${lines.discovery ?? "{enabled: false}"}`,
    "audit: {enabled: false}",
    uplinkLines(world, identity, lines.uplink ?? ""),
    ...(lines.other ?? []),
  ].join("\n");
  const file = join(dir, `${site}.yaml`);
  await writeFile(file, text);
  const config = parseConfigText(text, file, {});
  await seedCameras(
    config,
    cameras.map((camera) => ({
      id: camera.id,
      ip: camera.ip,
      streamUri: camera.streamUri,
      credentials: { username: camera.username, password: camera.password },
      ...(camera.xaddr === undefined ? {} : { xaddr: camera.xaddr }),
    })),
  );
  const agent = Agent.fromConfig(config, silentLogger());
  await agent.start(new AbortController().signal);
  let stopped = false;
  defer(t, () => (stopped ? undefined : agent.stop()));
  const store = agent.components.find((c) => c.name === "store") as Store;
  const session = agent.components.find((c) => c.name === "uplink-session") as UplinkSession;
  const stop = async () => {
    stopped = true;
    await agent.stop();
  };
  return { agent, config, file, store, session, stop };
}

/** Resolves once the box's link to the broker is up. */
export function boxConnected(box: Box, timeoutMs = 30_000): Promise<void> {
  return waitFor("the box connected", () => box.session.connected, timeoutMs);
}

/** Hardened simulated cameras as a box's camera list. */
export async function simulatedCameras(
  t: CleanupScope,
  baseIp: string,
  cameras: number,
  discoveryPort: number,
): Promise<BoxCamera[]> {
  const sim = await hardenedCameras(t, baseIp, cameras, { discoveryPort });
  return sim.describe().map((camera, index) => ({
    id: `cam-${index}`,
    ip: camera.address,
    streamUri: camera.streams[0]!,
    username: camera.username,
    password: camera.password,
  }));
}

/** Every segment of a camera in the box's index. */
export function storedSegments(store: Store, cameraId: string): SegmentRecord[] {
  return store.repos.segments.overlapping(cameraId, 0, Number.MAX_SAFE_INTEGER);
}
