import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { copyFile, readdir } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { CameraEventService } from "../../src/camera-events/index.js";
import { EventSnapshots } from "../../src/camera-events/event-snapshots.js";
import { CredentialVault } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { parseChunkHeader } from "../../src/protocol/index.js";
import type { SimCamera } from "../../src/sim/index.js";
import { SnapshotForwarder } from "../../src/uplink/snapshot-forwarder.js";
import { waitFor } from "../helpers/recording.js";
import { hardenedCameras } from "../helpers/site.js";
import { defer } from "../helpers/temp.js";
import { uplinkParts } from "../helpers/uplink-parts.js";

const run = promisify(execFile);

describe("camera event snapshots", () => {
  it("sends a picture per event as image/jpeg chunks with the event's id: the camera's snapshot (Digest), else a frame of the current segment; never Basic, never a pending camera", async (t) => {
    const parts = await uplinkParts(t);
    await parts.sender();
    parts.link.up();
    const { store, bus } = parts;
    const repos = store.repos;
    const sim = await hardenedCameras(t, "127.0.132.10", 1);
    const [described] = sim.describe();
    // A camera that offers only Basic over plain HTTP for its snapshot, and counts what it got.
    const basicOnly = { requests: 0, authorizations: [] as string[] };
    const server = createServer((request, response) => {
      basicOnly.requests++;
      if (request.headers.authorization)
        basicOnly.authorizations.push(request.headers.authorization);
      response.writeHead(401, { "www-authenticate": 'Basic realm="camera"' }).end();
    });
    server.listen(0, "127.0.132.20");
    await once(server, "listening");
    defer(t, () => new Promise<void>((resolve) => server.close(() => resolve())));
    const basicUri = `http://127.0.132.20:${(server.address() as { port: number }).port}/snap.jpg`;
    // The segment being recorded for the cameras without a usable snapshot address.
    const segmentPath = join(parts.dir, "current.ts");
    await run("ffmpeg", [
      ...[
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=10",
      ],
      ...["-t", "3", "-c:v", "libx264", "-g", "10", "-f", "mpegts", segmentPath],
    ]);

    const vault = new CredentialVault(repos, await SecretSealer.open(join(parts.dir, "seal.key")));
    const camera = async (
      id: string,
      snapshotUri: string | undefined,
      trust: "approved" | "pending",
    ) => {
      repos.cameras.upsert(
        {
          id,
          urn: `urn:uuid:${createHash("sha256").update(id).digest("hex").slice(0, 32)}`,
          mac: null,
          ip: described!.address,
          xaddrs: id === "cam-sim" ? [described!.xaddr] : [],
          manufacturer: null,
          model: null,
          firmware: null,
          serial: null,
          hardware: null,
          name: id,
          profiles: snapshotUri
            ? [{ token: "Profile_1", width: 320, height: 240, snapshotUri }]
            : [],
          clockOffsetMs: null,
          lastSeenMs: Date.now(),
          reachable: true,
        },
        { trust },
      );
      vault.setForCamera(id, { username: described!.username, password: described!.password });
      const now = Date.now();
      await copyFile(segmentPath, join(parts.dir, `${id}.ts`));
      repos.segments.insert({
        cameraId: id,
        path: join(parts.dir, `${id}.ts`),
        startMs: now - 3000,
        endMs: now,
        bytes: 1,
        sha256: null,
        state: "recording",
      });
    };
    await camera("cam-sim", described!.snapshot, "approved");
    await camera("cam-basic", basicUri, "approved");
    await camera("cam-none", undefined, "approved");
    await camera("cam-pending", basicUri, "pending");

    const spoolDir = join(parts.dir, "event-snapshots");
    const snapshots = new EventSnapshots({
      store,
      vault: { vault },
      bus,
      spoolDir,
      ffmpeg: () => Promise.resolve("ffmpeg"),
      logger: silentLogger(),
    });
    await snapshots.start(new AbortController().signal);
    defer(t, () => snapshots.stop());
    const forwarder = new SnapshotForwarder({
      spoolDir,
      session: parts.link,
      sender: { whenIdle: () => Promise.resolve() },
      bus,
      topics: parts.topics,
      chunkBytes: 4096,
      bucket: undefined,
      logger: silentLogger(),
    });
    await forwarder.start(new AbortController().signal);
    defer(t, () => forwarder.stop());
    const events = new CameraEventService({
      store,
      vault: { vault },
      bus,
      log: parts.events,
      logger: silentLogger(),
      timing: { pullWaitMs: 1000, terminationMs: 30_000, callTimeoutMs: 3000 },
    });
    await events.start(new AbortController().signal);
    defer(t, () => events.stop());
    const [simCamera] = sim.cameras as [SimCamera];
    await waitFor(
      "a PullMessages long-poll",
      () => simCamera.journal.entries().some((entry) => entry.operation === "PullMessages"),
      20_000,
    );

    // A real camera event from the simulator.
    simCamera.events!.set("intrusion", true);
    await waitFor(
      "the intrusion",
      () => repos.events.list({ kind: "intrusion" }).length === 1,
      20_000,
    );
    simCamera.events!.set("intrusion", false);
    for (const id of ["cam-basic", "cam-none", "cam-pending"])
      parts.events.recordCameraEvent(id, Date.now(), "motion", { phase: "start" });
    await waitFor("three pictures sent", () => forwarder.sent >= 3, 30_000);
    await waitFor(
      "the intrusion's end",
      () => repos.events.list({ kind: "intrusion" }).length === 2,
      20_000,
    );

    const received = new Map<string, Buffer[]>();
    for (const message of parts.link.published) {
      if (!message.topic.includes("/snapshots/")) continue;
      assert.equal(message.options.contentType, "image/jpeg");
      const eventId = Number(message.topic.split("/").at(-1));
      const properties = message.options.userProperties ?? {};
      assert.equal(properties["event-id"], String(eventId));
      const header = parseChunkHeader(eventId, properties);
      assert.ok(header, "a video chunk's header");
      const chunks = received.get(message.topic) ?? [];
      chunks[header.chunk] = message.payload;
      received.set(message.topic, chunks);
      if (chunks.filter(Boolean).length === header.chunks) {
        const jpeg = Buffer.concat(chunks);
        assert.equal(jpeg.length, header.bytes);
        assert.equal(createHash("sha256").update(jpeg).digest("hex"), header.sha256);
        assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], "a JPEG");
      }
    }
    const topics = [...received.keys()].sort();
    const expected = ["cam-sim", "cam-basic", "cam-none"].map((id) => {
      const [event] = repos.events
        .list({ cameraId: id })
        .filter((row) => row.detail["phase"] === "start");
      return parts.topics.snapshot(id, event!.id);
    });
    assert.deepEqual(topics, expected.sort());
    // The simulator's picture came through Digest; the Basic-only camera got no credentials.
    assert.ok(
      simCamera.journal
        .entries()
        .some((entry) => /snapshot|jpg/i.test(entry.operation) && entry.authenticated),
    );
    assert.deepEqual(basicOnly.authorizations, []);
    assert.equal(basicOnly.requests, 1, "the pending camera's address is never called");
    assert.deepEqual(await readdir(spoolDir), [], "sent pictures leave the spool");
  });
});
