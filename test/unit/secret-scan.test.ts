import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createLogger } from "../../src/log/index.js";
import {
  cameraPassword,
  keyBytesSecrets,
  pemKeySecrets,
  scanPaths,
  scanText,
} from "../../scripts/soak/secret-scan.js";
import { tempDir } from "../helpers/temp.js";

const PASSWORD = "Xq7!vR2#pL9@wz";
const secrets = cameraPassword("camera 3 password", "admin", PASSWORD);

/** A file logger as the agent makes one; resolves with the file once everything is written. */
async function logTo(file: string, write: (logger: ReturnType<typeof createLogger>) => void) {
  const stream = createWriteStream(file);
  const logger = createLogger({ level: "debug", format: "json", destination: stream });
  write(logger);
  logger.flush();
  await new Promise<void>((resolve) => stream.end(resolve));
}

describe("secret scan", () => {
  it("finds nothing where redaction did its work", async (t) => {
    const dir = await tempDir(t);
    await logTo(join(dir, "clean.log"), (logger) => {
      logger.info(
        { password: PASSWORD, credentials: { username: "admin", password: PASSWORD } },
        "secret-named keys",
      );
      logger.warn(
        { reason: `rtsp://admin:${encodeURIComponent(PASSWORD)}@10.0.0.5/stream` },
        "an URL with user-info",
      );
      logger.warn({ err: new Error(`GET /?password=${PASSWORD} failed`) }, "a password parameter");
      logger.info(
        { header: `Authorization: Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` },
        "a header",
      );
    });
    const { findings, files } = await scanPaths([dir], secrets);
    assert.equal(files, 1);
    assert.deepEqual(findings, []);
  });

  it("fails on a secret logged through a path redaction cannot see", async (t) => {
    const dir = await tempDir(t);
    const log = join(dir, "leaky.log");
    // A key with an innocent name: redaction cannot know this value is a password.
    await logTo(log, (logger) => logger.info({ note: `tried ${PASSWORD}` }, "a careless line"));
    const { findings } = await scanPaths([dir], secrets);
    assert.deepEqual(findings, [{ label: "camera 3 password", form: "raw", where: `${log}:1` }]);
    assert.ok(!JSON.stringify(findings).includes(PASSWORD), "a finding never repeats the secret");
  });

  it("finds the encoded forms, pieces of a private key, and raw key bytes", async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, "center"));
    const basic = Buffer.from(`admin:${PASSWORD}`).toString("base64");
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const sealing = randomBytes(32);
    const keyLine = key.split("\n")[2] ?? "";
    await writeFile(
      join(dir, "center", "payloads.jsonl"),
      `{"auth":"Basic ${basic}"}\n{"uri":"x?p=${encodeURIComponent(PASSWORD)}"}\n`,
    );
    await writeFile(
      join(dir, "status.json"),
      `{"fragment":"${keyLine}","seal":"${sealing.toString("hex")}"}`,
    );
    const all = [
      ...secrets,
      ...pemKeySecrets("box key", key),
      ...keyBytesSecrets("sealing key", sealing),
    ];
    const found = (await scanPaths([dir], all)).findings.map((f) => `${f.label}/${f.form}`).sort();
    assert.deepEqual(found, [
      "box key line 2/raw",
      "camera 3 password (basic auth)/base64",
      // "admin:" is six bytes, so the password's own base64 is a piece of the header's.
      "camera 3 password/base64",
      "camera 3 password/url-encoded",
      "sealing key (hex)/raw",
    ]);
  });

  it("ignores values too short to tell from chance", () => {
    assert.deepEqual(scanText("abc", "x", [{ label: "short", value: "abc" }]), []);
  });
});
