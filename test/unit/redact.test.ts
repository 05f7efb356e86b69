import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createLogger, REDACTED, redactText } from "../../src/log/index.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: "trace", format: "json", destination }) };
}

const SECRETS = ["hunter2", "S3cr3t!x", "YWRtaW46MTIzNDU=", "d41d8cd98f00b204", "tok-abc"];

describe("redaction", () => {
  it("removes URL credentials, Authorization headers and password parameters from text", () => {
    assert.equal(
      redactText("rtsp://admin:hunter2@127.0.0.10:554/s"),
      `rtsp://admin:${REDACTED}@127.0.0.10:554/s`,
    );
    assert.equal(
      redactText("Authorization: Basic YWRtaW46MTIzNDU="),
      `Authorization: Basic ${REDACTED}`,
    );
    assert.equal(
      redactText("GET /snap.jpg?user=admin&password=hunter2&x=1"),
      `GET /snap.jpg?user=admin&password=${REDACTED}&x=1`,
    );
    assert.equal(redactText("no secrets here"), "no secrets here");
  });

  it("keeps secrets out of every part of a log line", () => {
    const { lines, logger } = capture();
    const cause = new Error(
      'WWW-Authenticate failed; Authorization: Digest username="admin", response="d41d8cd98f00b204"',
    );
    const error = new Error("cannot pull rtsp://admin:S3cr3t!x@127.0.0.10/stream", { cause });
    logger.info(
      { password: "hunter2", camera: { credentials: { user: "admin", pass: "x" } } },
      "added",
    );
    logger.error({ err: error }, "recorder failed");
    logger.warn("retrying %s", "http://u:tok-abc@127.0.0.1/");
    logger.child({ component: "recorder", uri: "rtsp://admin:hunter2@h/" }).info("child");
    logger.info(
      { headers: { Authorization: "Basic YWRtaW46MTIzNDU=" }, token: "tok-abc" },
      "request",
    );
    assert.equal(lines.length, 5);
    for (const line of lines) {
      for (const secret of SECRETS)
        assert.ok(!line.includes(secret), `secret ${secret} leaked: ${line}`);
      JSON.parse(line);
    }
    const child = JSON.parse(lines[3] ?? "{}") as Record<string, unknown>;
    assert.equal(child.component, "recorder");
    assert.equal(child.uri, `rtsp://admin:${REDACTED}@h/`);
  });

  it("survives cyclic and deeply nested objects", () => {
    const { lines, logger } = capture();
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { password: "hunter2" };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    logger.info({ cyclic, deep }, "odd shapes");
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes("hunter2"));
  });
});
