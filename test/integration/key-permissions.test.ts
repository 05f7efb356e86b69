import assert from "node:assert/strict";
import { chmod, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SecretSealer } from "../../src/pki/index.js";
import { runCamgate } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";
import { uplinkLines, uplinkWorld } from "../helpers/uplink.js";

describe("the daemon and its key files", () => {
  it(
    "camgate run refuses to start while the sealing key or the TLS key is readable by others",
    { timeout: 120_000 },
    async (t) => {
      const dir = await tempDir(t);
      const world = await uplinkWorld(t, dir);
      const identity = await world.pki.issue("site-k");
      const sealKey = join(dir, "keys", "seal.key");
      await SecretSealer.open(sealKey);
      assert.equal((await stat(sealKey)).mode & 0o777, 0o600, "created private");
      const config = join(dir, "camgate.yaml");
      await writeFile(
        config,
        [
          "site: {id: site-k}",
          `store: {path: ${join(dir, "camgate.db")}}`,
          `secrets: {keyFile: ${sealKey}}`,
          `storage: {dir: ${join(dir, "rec")}}`,
          "discovery: {enabled: false}",
          "audit: {enabled: false}",
          uplinkLines(world, identity),
        ].join("\n"),
      );
      const run = () => runCamgate(["run", "--config", config]);

      await chmod(sealKey, 0o644);
      const seal = await run();
      assert.notEqual(seal.code, 0);
      assert.match(seal.stderr, new RegExp(`${sealKey} has mode 0644.*chmod 600`), seal.stderr);
      await assert.rejects(stat(join(dir, "camgate.db")), "refused before anything started");

      await chmod(sealKey, 0o600);
      await chmod(identity.key, 0o640);
      const tls = await run();
      assert.notEqual(tls.code, 0);
      assert.match(tls.stderr, new RegExp(`${identity.key}.*0640`), tls.stderr);
    },
  );
});
