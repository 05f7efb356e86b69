import assert from "node:assert/strict";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KeyFileError, SecretSealer, UnsealError } from "../../src/pki/index.js";
import { tempDir } from "../helpers/temp.js";

describe("secret sealing", () => {
  it("round-trips and never stores the plaintext", async (t) => {
    const dir = await tempDir(t);
    const sealer = await SecretSealer.open(join(dir, "keys", "seal.key"));
    const sealed = sealer.seal('{"user":"admin","password":"S3cr3t!x"}', "camera:cam-1");
    assert.ok(!sealed.includes("S3cr3t"));
    assert.notEqual(sealer.seal("same", "c"), sealer.seal("same", "c"), "a fresh IV each time");
    assert.equal(
      sealer.unsealText(sealed, "camera:cam-1"),
      '{"user":"admin","password":"S3cr3t!x"}',
    );
  });

  it("creates the key file 0600 in a 0700 directory, and reuses it", async (t) => {
    const dir = await tempDir(t);
    const keyFile = join(dir, "keys", "seal.key");
    const first = await SecretSealer.open(keyFile);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, "keys"))).mode & 0o777, 0o700);
    assert.equal((await readFile(keyFile)).length, 32);
    const second = await SecretSealer.open(keyFile);
    assert.equal(second.unsealText(first.seal("x", "c"), "c"), "x");
  });

  it("creates one key when several processes start at once", async (t) => {
    const dir = await tempDir(t);
    const keyFile = join(dir, "seal.key");
    const sealers = await Promise.all(Array.from({ length: 8 }, () => SecretSealer.open(keyFile)));
    const sealed = sealers[0]?.seal("x", "c") ?? "";
    for (const sealer of sealers) assert.equal(sealer.unsealText(sealed, "c"), "x");
  });

  it("detects tampering, a wrong context and a wrong key", async (t) => {
    const dir = await tempDir(t);
    const sealer = await SecretSealer.open(join(dir, "a.key"));
    const other = await SecretSealer.open(join(dir, "b.key"));
    const sealed = sealer.seal("password", "camera:cam-1");
    const raw = Buffer.from(sealed.slice(5), "base64");
    for (const index of [0, 14, raw.length - 1]) {
      const flipped = Buffer.from(raw);
      flipped[index] = (flipped[index] ?? 0) ^ 0x01;
      assert.throws(
        () => sealer.unseal(`cgs1:${flipped.toString("base64")}`, "camera:cam-1"),
        UnsealError,
      );
    }
    assert.throws(() => sealer.unseal(sealed, "camera:cam-2"), UnsealError);
    assert.throws(() => other.unseal(sealed, "camera:cam-1"), UnsealError);
    assert.throws(() => sealer.unseal("plain text", "camera:cam-1"), UnsealError);
    assert.throws(() => sealer.unseal("cgs1:AAAA", "camera:cam-1"), UnsealError);
  });

  it("refuses a key file others can read, or of the wrong size", async (t) => {
    const dir = await tempDir(t);
    const keyFile = join(dir, "seal.key");
    await SecretSealer.open(keyFile);
    await chmod(keyFile, 0o644);
    await assert.rejects(SecretSealer.open(keyFile), (error: Error) => {
      assert.ok(error instanceof KeyFileError);
      assert.match(error.message, /mode 0644.*chmod 600/);
      return true;
    });
    const short = join(dir, "short.key");
    await writeFile(short, Buffer.alloc(16), { mode: 0o600 });
    await assert.rejects(SecretSealer.open(short), /holds 16 bytes/);
  });
});
