import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";
import { COMMANDS } from "../../src/commands/index.js";
import { canonicalJson, commandSigningInput, PAYLOAD_SCHEMAS } from "../../src/protocol/index.js";
import { accessEntryHash, type AccessRecord } from "../../src/store/index.js";
import { accessBody } from "../../src/uplink/bodies.js";
import { AsyncApiContract } from "../helpers/asyncapi.js";
import { REPO_ROOT } from "../helpers/cli.js";

const DOCUMENT = join(REPO_ROOT, "docs/asyncapi.yaml");

/** The access-log hash as the document states it, from a published payload alone. */
function documentedHash(payload: Record<string, unknown>): string {
  const { schema: _schema, ts: _ts, hash: _hash, ...hashed } = payload;
  return createHash("sha256").update(canonicalJson(hashed), "utf8").digest("hex");
}

describe("docs/asyncapi.yaml", () => {
  it("is a valid AsyncAPI document for the AsyncAPI project's own parser", async () => {
    const { document, diagnostics } = await new Parser().parse(await readFile(DOCUMENT, "utf8"));
    const errors = diagnostics
      .filter((diagnostic) => diagnostic.severity === DiagnosticSeverity.Error)
      .map((diagnostic) => `${diagnostic.path.join(".")}: ${diagnostic.message}`);
    assert.deepEqual(errors, []);
    assert.ok(document, "the parser returned a document");
    const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning);
    assert.deepEqual(
      warnings.map((d) => `${d.path.join(".")}: ${d.message}`),
      [],
    );
  });

  it("names every command the box obeys and every payload schema it sends", async () => {
    const contract = await AsyncApiContract.load();
    assert.deepEqual(contract.commandNames().sort(), Object.keys(COMMANDS).sort());
    assert.deepEqual(contract.resultSchemas().sort(), Object.keys(COMMANDS).sort());
    assert.deepEqual(contract.payloadSchemaIds().sort(), Object.values(PAYLOAD_SCHEMAS).sort());
  });

  it("states the access-log hash exactly enough to re-compute it, as the box computes it", async () => {
    const contract = await AsyncApiContract.load();
    const [example] = contract.schemaExamples("AccessPayload");
    assert.ok(example, "AccessPayload has an example");
    assert.deepEqual(contract.payloadProblems(example), []);
    assert.equal(documentedHash(example), example["hash"]);
    // The box's own hash and body of the same entry.
    const record: AccessRecord = {
      seq: example["seq"] as number,
      prevHash: example["prevHash"] as string,
      tsMs: example["tsMs"] as number,
      actor: example["actor"] as string,
      action: example["action"] as string,
      target: example["target"] as string,
      purpose: example["purpose"] as string,
      result: example["result"] as string,
      detail: example["detail"] as Record<string, unknown>,
      hash: "",
    };
    const { seq, prevHash, hash: _hash, ...entry } = record;
    assert.equal(accessEntryHash(seq, prevHash, entry), example["hash"]);
    const body: Record<string, unknown> = {
      schema: PAYLOAD_SCHEMAS.access,
      ...accessBody({ ...record, hash: "x" }),
    };
    assert.equal(documentedHash(body), example["hash"]);
    assert.equal(body["ts"], example["ts"]);
  });

  it("shows the bytes a command signature covers, as the box and the center build them", async () => {
    const text = await readFile(DOCUMENT, "utf8");
    const contract = await AsyncApiContract.load();
    const [example] = contract.messageExamples("recordingsLock");
    assert.ok(example, "recordingsLock has an example");
    const signed = canonicalJson(commandSigningInput("hn-bd-0001", "recordings.lock", example));
    assert.ok(text.includes(`\`${signed}\``), `the document shows ${signed}`);
    assert.ok(signed.includes("Nguyễn Thị Hằng"), "Vietnamese text stays as it is");
    assert.deepEqual(COMMANDS["recordings.lock"].schema.safeParse(example).success, true);
  });
});
