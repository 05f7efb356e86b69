import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { signCommand } from "../../src/protocol/index.js";
import { simulatedCameras, startBox, storedSegments } from "../helpers/box.js";
import { authorization, CommandClient } from "../helpers/commands.js";
import { runCamgate } from "../helpers/cli.js";
import { probeVideo, waitFor } from "../helpers/recording.js";
import { tempDir } from "../helpers/temp.js";
import { startCenter, uplinkWorld } from "../helpers/uplink.js";

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

describe("video upstream", () => {
  it("4 cameras forwarded continuously for 2 minutes arrive byte-identical", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const centerDir = join(dir, "center");
    const center = await startCenter(t, world, centerDir);
    const cameras = await simulatedCameras(t, "127.0.42.10", 4, 43742);
    // Small chunks, so that every segment goes in several.
    const box = await startBox(t, world, dir, "site-v", cameras, { uplink: ", chunkBytes: 16KiB" });
    await new Promise((resolve) => setTimeout(resolve, 120_000));
    const recorded = cameras.flatMap((camera) => storedSegments(box.store, camera.id));
    const cutoff = Math.max(...recorded.map((segment) => segment.id));
    for (const camera of cameras) {
      const count = storedSegments(box.store, camera.id).length;
      assert.ok(count >= 40, `${camera.id} recorded ${count} segments in 2 minutes`);
    }
    const atCenter = () => new Set(center.receivedSegments().map((s) => s.segmentId));
    await waitFor(
      "every segment recorded in the 2 minutes at the center",
      () => recorded.every((segment) => atCenter().has(segment.id)),
      120_000,
    );
    const received = new Map(center.receivedSegments().map((s) => [s.segmentId, s]));
    let multiChunk = 0;
    for (const segment of recorded) {
      const copy = received.get(segment.id)!;
      assert.equal(copy.verified, true, `segment ${segment.id} verified`);
      assert.equal(copy.index, "match");
      assert.equal(await sha256(copy.file), segment.sha256, `segment ${segment.id} center copy`);
      assert.equal(await sha256(segment.path), segment.sha256, `segment ${segment.id} box file`);
      if (segment.bytes > 16 * 1024) multiChunk++;
      const row = box.store.repos.segments.get(segment.id)!;
      assert.equal(row.state, "forwarded");
    }
    assert.ok(multiChunk > recorded.length / 2, `${multiChunk} segments went in several chunks`);
    assert.equal(center.summary().video.duplicates, 0);
    assert.equal(center.summary().refused, 0);
    assert.ok(cutoff > 0);
  });

  it("clip.request delivers exactly the covering segments; live.start plays and stops", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    const center = await startCenter(t, world, join(dir, "center"));
    const cameras = await simulatedCameras(t, "127.0.42.20", 2, 43743);
    const box = await startBox(t, world, dir, "site-c", cameras, {
      other: ["recorder: {forward: on-demand}"],
    });
    const commands = await CommandClient.connect(t, world);
    const camera = cameras[0]!.id;
    await waitFor(
      "40 s of recording",
      () => {
        const segments = storedSegments(box.store, camera);
        return segments.length > 2 && segments.at(-1)!.endMs - segments[0]!.startMs > 40_000;
      },
      120_000,
    );
    const first = storedSegments(box.store, camera)[0]!;
    const from = first.startMs + 5_000;
    const to = from + 30_000;
    const expected = box.store.repos.segments.overlapping(camera, from, to).map((s) => s.id);
    assert.ok(expected.length >= 14, `${expected.length} segments cover 30 s`);
    const reply = await commands.send("site-c", "clip.request", {
      camera,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      ...authorization(),
    });
    assert.equal(reply.ok, true, JSON.stringify(reply));
    const listed = (reply.result?.["segments"] as { id: number }[]).map((s) => s.id);
    assert.deepEqual(listed, expected);
    await waitFor(
      "the clip at the center",
      () => center.receivedSegments().length >= expected.length,
      60_000,
    );
    assert.deepEqual(
      center
        .receivedSegments()
        .map((s) => s.segmentId)
        .sort((a, b) => a - b),
      expected,
      "exactly the covering segments, nothing else of an on-demand camera",
    );
    assert.ok(center.receivedSegments().every((s) => s.verified));
    assert.equal(box.store.repos.videoTransfers.requested(), 0, "the hold ends once sent");

    // Live: the first fMP4 piece within 5 s, a playable file, the end on time.
    const asked = Date.now();
    const live = await commands.send("site-c", "live.start", {
      camera,
      seconds: 4,
      ...authorization(),
    });
    assert.equal(live.ok, true, JSON.stringify(live));
    await waitFor("a live piece", () => center.liveRecordings().some((r) => r.bytes > 0), 10_000);
    const firstPieceMs = Date.now() - asked;
    assert.ok(firstPieceMs <= 5000, `first live piece after ${firstPieceMs} ms`);
    await waitFor("the live view ends", () => center.liveRecordings()[0]?.ended === true, 30_000);
    const recording = center.liveRecordings()[0]!;
    const probed = await probeVideo(recording.file);
    assert.equal(probed.codec, "h264");
    assert.ok(probed.durationSec >= 2 && probed.durationSec <= 5, `${probed.durationSec} s`);

    const long = await commands.send("site-c", "live.start", {
      camera,
      seconds: 120,
      ...authorization(),
    });
    assert.equal(long.ok, true);
    const session = long.result?.["session"];
    await waitFor(
      "the long live view running",
      () => center.liveRecordings().some((r) => r.session === session && r.bytes > 0),
      10_000,
    );
    const stop = await commands.send("site-c", "live.stop", { camera });
    assert.deepEqual(stop.result, { stopped: true });
    await waitFor(
      "the closing message of the stopped view",
      () => center.liveRecordings().some((r) => r.session === session && r.ended),
      15_000,
    );
    const ended = center.liveRecordings().find((r) => r.session === session)!;
    assert.ok((await probeVideo(ended.file)).durationSec < 60);
  });

  it("signed commands: valid ones work (the same again gets its first reply), expired, replayed, tampered and unsigned are refused and logged", async (t) => {
    const dir = await tempDir(t);
    const world = await uplinkWorld(t, dir);
    await startCenter(t, world, join(dir, "center"));
    const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const publicKey = join(dir, "center-commands.pub");
    await writeFile(publicKey, keys.publicKey.export({ type: "spki", format: "pem" }));
    const privatePem = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const box = await startBox(
      t,
      world,
      dir,
      "site-s",
      [
        {
          id: "cam-1",
          ip: "127.0.42.40",
          streamUri: "rtsp://127.0.42.40/x",
          username: "u",
          password: "p",
        },
      ],
      { uplink: `, commandSigningKey: ${publicKey}`, other: ["recorder: {enabled: false}"] },
    );
    // The recorder is off here; a box's storage directory exists all the same.
    await mkdir(box.config.storage.dir, { recursive: true });
    const commands = await CommandClient.connect(t, world);
    await waitFor(
      "the box connected",
      () =>
        box.agent.components.some(
          (c) => c.name === "uplink-session" && (c as unknown as { connected: boolean }).connected,
        ),
      30_000,
    );
    const lock = (overrides: Record<string, unknown> = {}) => ({
      camera: "cam-1",
      from: new Date(Date.now() - 600_000).toISOString(),
      to: new Date().toISOString(),
      until: new Date(Date.now() + 86_400_000).toISOString(),
      reason: "evidence for case 17",
      ...authorization(overrides),
    });
    const valid = lock();
    const signature = signCommand("site-s", "recordings.lock", valid, privatePem);
    const outcomes: [string, string][] = [];
    const send = async (name: string, payload: Record<string, unknown> | Buffer, sig?: string) => {
      const reply = await commands.send("site-s", name, payload, sig ? { signature: sig } : {});
      outcomes.push([name, reply.ok ? "ok" : (reply.error?.code ?? "?")]);
      return reply;
    };
    const first = await send("recordings.lock", valid, signature);
    assert.equal(first.ok, true, JSON.stringify(first));
    const again = await send("recordings.lock", valid, signature);
    assert.deepEqual(again, first, "the same command sent again gets its first reply");
    const reused = { ...valid, reason: "another case" };
    await send(
      "recordings.lock",
      reused,
      signCommand("site-s", "recordings.lock", reused, privatePem),
    );
    const expired = lock({
      issuedAt: new Date(Date.now() - 7200_000).toISOString(),
      expiresAt: new Date(Date.now() - 3600_000).toISOString(),
    });
    await send(
      "recordings.lock",
      expired,
      signCommand("site-s", "recordings.lock", expired, privatePem),
    );
    const tampered = lock();
    const tamperedSignature = signCommand("site-s", "recordings.lock", tampered, privatePem);
    await send("recordings.lock", { ...tampered, purpose: "something else" }, tamperedSignature);
    await send("clip.request", {
      camera: "cam-1",
      from: valid["from"],
      to: valid["to"],
      ...authorization(),
    });
    await send("status.get", {});
    await send("recordings.lock", Buffer.from("{not json"));
    await send("camera.reboot", {});
    assert.deepEqual(outcomes, [
      ["recordings.lock", "ok"],
      ["recordings.lock", "ok"],
      ["recordings.lock", "replayed"],
      ["recordings.lock", "expired"],
      ["recordings.lock", "bad_signature"],
      ["clip.request", "unsigned"],
      ["status.get", "ok"],
      ["recordings.lock", "bad_request"],
      ["camera.reboot", "unknown_command"],
    ]);
    const log = box.store.repos.accessLog.list(100).reverse();
    assert.deepEqual(
      log.map((entry) => [entry.action, entry.result]),
      [
        ["cmd/recordings.lock", "ok"],
        ["cmd/recordings.lock", "repeated"],
        ["cmd/recordings.lock", "refused"],
        ["cmd/recordings.lock", "refused"],
        ["cmd/recordings.lock", "refused"],
        ["cmd/clip.request", "refused"],
        ["cmd/status.get", "ok"],
        ["cmd/recordings.lock", "refused"],
        ["cmd/camera.reboot", "refused"],
      ],
    );
    assert.equal(log[0]?.actor, "officer-17@commune-center");
    assert.equal(log[0]?.purpose, "incident 2026-1123 review");
    assert.equal(log[0]?.detail["signed"], true);
    await box.stop();

    const intact = await runCamgate(["access", "verify", "--config", box.file]);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /access log intact: 9 entries/);
    const db = new Database(box.config.store.path);
    db.prepare("UPDATE access_log SET purpose = 'nothing to see' WHERE seq = 3").run();
    db.close();
    const broken = await runCamgate(["access", "verify", "--config", box.file]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /BROKEN at entry 3: entry content was altered/);
    const listed = await runCamgate(["access", "list", "--json", "--config", box.file]);
    assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 9);
  });
});
