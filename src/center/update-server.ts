import { open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import {
  SiteTopics,
  signedManifestSchema,
  TOPIC_PREFIX,
  type UpdateRequest,
  updateChunkProperties,
  updateRequestSchema,
} from "../protocol/index.js";

interface Release {
  tarball: string;
  sha256: string;
  size: number;
}

export interface UpdateServerOptions {
  url: string;
  ca: string;
  cert: string;
  key: string;
  /** Release tarballs, each beside its `<name>.manifest.json` (what `npm run release` writes). */
  dir: string;
}

/**
 * The center's side of release downloads: answers each box's `update/request` with the range it
 * asks for, on the box's `cmd/update/chunk`. It serves the releases of `dir` whose manifest
 * names the requested version and SHA-256, and nothing else; a box checks what it receives
 * against the signed manifest, so the server needs no key.
 */
export class UpdateServer {
  readonly name = "update-server";
  #client: MqttClient | undefined;
  #releases = new Map<string, Release>();
  /** Ranges served, for figures: site, version, offset. */
  readonly served: { site: string; version: string; offset: number }[] = [];

  constructor(private readonly options: UpdateServerOptions) {}

  async start(): Promise<void> {
    await this.reload();
    const { url } = this.options;
    const [ca, cert, key] = await Promise.all(
      [this.options.ca, this.options.cert, this.options.key].map((file) => readFile(file, "utf8")),
    );
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      reconnectPeriod: 1000,
      ...{ ca, cert, key },
      rejectUnauthorized: true,
    });
    this.#client = client;
    client.on("message", (topic, payload) => void this.#answer(client, topic, payload));
    await client.subscribeAsync(`${TOPIC_PREFIX}/+/update/request`, { qos: 1 });
  }

  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.endAsync(true);
  }

  /** Reads the manifests of `dir` again. */
  async reload(): Promise<void> {
    const releases = new Map<string, Release>();
    for (const name of await readdir(this.options.dir)) {
      if (!name.endsWith(".manifest.json")) continue;
      const text = await readFile(join(this.options.dir, name), "utf8");
      const parsed = signedManifestSchema.safeParse(JSON.parse(text));
      if (!parsed.success) continue;
      const { manifest } = parsed.data;
      releases.set(manifest.version, {
        tarball: join(this.options.dir, manifest.file),
        sha256: manifest.sha256,
        size: manifest.size,
      });
    }
    this.#releases = releases;
  }

  async #answer(client: MqttClient, topic: string, payload: Buffer): Promise<void> {
    const site = topic.split("/")[2];
    if (site === undefined || !/^[A-Za-z0-9._-]{1,128}$/.test(site)) return;
    let request: UpdateRequest;
    try {
      const parsed = updateRequestSchema.safeParse(JSON.parse(payload.toString("utf8")));
      if (!parsed.success) return;
      request = parsed.data;
    } catch {
      return;
    }
    const release = this.#releases.get(request.version);
    if (!release || release.sha256 !== request.sha256 || request.offset >= release.size) return;
    const length = Math.min(request.length, release.size - request.offset);
    const bytes = Buffer.alloc(length);
    const file = await open(release.tarball, "r");
    try {
      await file.read(bytes, 0, length, request.offset);
    } finally {
      await file.close();
    }
    this.served.push({ site, version: request.version, offset: request.offset });
    await client
      .publishAsync(new SiteTopics(site).updateChunks(), bytes, {
        qos: 1,
        properties: {
          contentType: "application/gzip",
          userProperties: updateChunkProperties({ ...request, size: release.size }),
        },
      })
      .catch(() => undefined);
  }
}
