import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import forge from "node-forge";
import { IdentityFiles } from "../../src/cert-renewal/index.js";
import {
  createAuthority,
  generatePrivateKeyPem,
  issueCertificate,
  writeNewKey,
} from "../../src/pki/index.js";
import { tempDir } from "../helpers/temp.js";

const authority = createAuthority("identity-files test CA");

function certFor(keyPem: string): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  return issueCertificate(authority, {
    commonName: "site-u",
    publicKey: forge.pki.setRsaPublicKey(key.n, key.e),
    usage: "client",
  });
}

/** A box's pair in use, and the next key with its certificate, as a renewal makes them. */
async function renewing(t: TestContext) {
  const dir = await tempDir(t);
  const files = new IdentityFiles(join(dir, "box.key"), join(dir, "box.pem"));
  const oldKey = generatePrivateKeyPem(2048);
  const newKey = generatePrivateKeyPem(2048);
  await writeNewKey(files.key, oldKey);
  await writeFile(files.cert, certFor(oldKey));
  await files.writeNextKey(newKey);
  const newCert = certFor(newKey);
  return { files, oldKey, newKey, newCert, oldCert: await readFile(files.cert, "utf8") };
}

const read = (path: string) => readFile(path, "utf8");

describe("identity-files: a renewal's files after a crash at any step", () => {
  it("idle: nothing to do", async (t) => {
    const { files } = await renewing(t);
    await files.abandon();
    assert.deepEqual(await files.recover(), { kind: "idle" });
  });

  it("a next key without its certificate: the request stands, the pair in use is untouched", async (t) => {
    const { files, newKey, oldKey } = await renewing(t);
    assert.deepEqual(await files.recover(), { kind: "requested", nextKeyPem: newKey });
    assert.equal(await read(files.key), oldKey);
    assert.equal((await stat(files.nextKey)).mode & 0o777, 0o600);
  });

  it("the certificate on disk, the swap not begun: the swap is done, the old pair kept", async (t) => {
    const { files, newKey, newCert, oldKey } = await renewing(t);
    await files.writeNextCertificate(newCert);
    assert.deepEqual(await files.recover(), { kind: "confirming" });
    assert.equal(await read(files.key), newKey);
    assert.equal(await read(files.cert), newCert);
    assert.equal(await read(files.oldKey), oldKey);
    assert.equal((await stat(files.key)).mode & 0o777, 0o600);
    await files.confirm();
    assert.equal(existsSync(files.oldKey) || existsSync(files.oldCert), false);
  });

  it("cut between the renames (new certificate, old key): the key follows", async (t) => {
    const { files, newKey, newCert } = await renewing(t);
    await files.writeNextCertificate(newCert);
    await assert.rejects(
      files.swap(() => {
        throw new Error("killed");
      }),
    );
    assert.equal(await read(files.cert), newCert);
    assert.deepEqual(await files.recover(), { kind: "confirming" });
    assert.equal(await read(files.key), newKey);
  });

  it("a certificate for another key is no reason to swap: the request stands", async (t) => {
    const { files, newKey } = await renewing(t);
    await files.writeNextCertificate(certFor(generatePrivateKeyPem(2048)));
    assert.deepEqual(await files.recover(), { kind: "requested", nextKeyPem: newKey });
    assert.equal(existsSync(files.nextCert), false);
  });

  it("rolled back, also when cut between its renames: the old pair is back", async (t) => {
    const { files, newCert, oldKey, oldCert } = await renewing(t);
    await files.writeNextCertificate(newCert);
    await files.swap();
    await files.rollback();
    assert.equal(await read(files.key), oldKey);
    assert.equal(await read(files.cert), oldCert);

    const again = await renewing(t);
    await again.files.writeNextCertificate(again.newCert);
    await again.files.swap();
    await rename(again.files.oldCert, again.files.cert); // the rollback's first rename only
    assert.deepEqual(await again.files.recover(), { kind: "idle" });
    assert.equal(await read(again.files.key), again.oldKey);
    assert.equal(await read(again.files.cert), again.oldCert);
  });
});
