import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  decodeScopes,
  extractDeviceInformation,
  extractMac,
  extractMediaUri,
  extractProfiles,
  extractScopes,
  extractServices,
  extractSystemDateAndTime,
} from "../../src/discovery/extract.js";
import { readFault } from "../../src/discovery/faults.js";
import { MAX_SCOPES, MAX_XADDRS, parseProbeMatches } from "../../src/discovery/probe-matches.js";
import { DEFAULT_XML_LIMITS, parseXml, XmlError, type XmlElement } from "../../src/onvif/index.js";
import { expectTyped, fuzz, mutated } from "./harness.js";

const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/onvif/", import.meta.url));

async function fixtures(match: (name: string) => boolean): Promise<string[]> {
  const texts: string[] = [];
  for (const vendor of await readdir(FIXTURES, { withFileTypes: true })) {
    if (!vendor.isDirectory()) continue;
    for (const file of await readdir(join(FIXTURES, vendor.name)))
      if (file.endsWith(".xml") && match(file))
        texts.push(await readFile(join(FIXTURES, vendor.name, file), "utf8"));
  }
  return texts;
}

function measure(element: XmlElement, depth = 1): { elements: number; depth: number } {
  let elements = 1;
  let deepest = depth;
  for (const child of element.children) {
    const inner = measure(child, depth + 1);
    elements += inner.elements;
    deepest = Math.max(deepest, inner.depth);
  }
  return { elements, depth: deepest };
}

/** Parses, or refuses with an XmlError; what it returns stays within the limits. */
function parsedOrRefused(text: string): XmlElement | undefined {
  try {
    const envelope = parseXml(text);
    const size = measure(envelope);
    assert.ok(size.depth <= DEFAULT_XML_LIMITS.maxDepth, `depth ${size.depth}`);
    assert.ok(size.elements <= DEFAULT_XML_LIMITS.maxElements, `elements ${size.elements}`);
    return envelope;
  } catch (error) {
    expectTyped(error, XmlError);
    return undefined;
  }
}

describe("fuzzing: ONVIF SOAP and WS-Discovery parsers", () => {
  let responses: string[] = [];
  let probeMatches: string[] = [];
  before(async () => {
    responses = await fixtures((name) => !name.startsWith("ProbeMatches"));
    probeMatches = await fixtures((name) => name.startsWith("ProbeMatches"));
    assert.ok(responses.length > 30 && probeMatches.length > 5, "the real-device fixtures");
  });

  it("parseXml: mutated device responses and random text either parse within limits or fail typed", async () => {
    const input = fc.oneof(
      { weight: 4, arbitrary: mutated(responses) },
      { weight: 1, arbitrary: fc.string({ maxLength: 2000, unit: "binary" }) },
    );
    const ran = await fuzz("xml", input, (text) => void parsedOrRefused(text), {
      seed: 0x0a11,
      numRuns: 3000,
    });
    assert.equal(ran.runs, 3000);
  });

  it("every extractor takes whatever parses without throwing, and bounds what it returns", async () => {
    const check = (text: string) => {
      const envelope = parsedOrRefused(text);
      if (!envelope) return;
      extractDeviceInformation(envelope);
      extractSystemDateAndTime(envelope);
      assert.ok(extractServices(envelope).size <= 64);
      const profiles = extractProfiles(envelope);
      assert.ok(profiles.length <= 64, `${profiles.length} profiles`);
      const uri = extractMediaUri(envelope);
      assert.ok(uri === undefined || uri.length <= 4096);
      extractMac(envelope);
      const scopes = extractScopes(envelope);
      assert.ok(scopes.length <= MAX_SCOPES);
      decodeScopes(scopes);
      readFault(envelope, 500);
    };
    await fuzz("onvif-extract", mutated(responses), check, { seed: 0x0e47, numRuns: 3000 });
  });

  it("parseProbeMatches: mutated datagrams and random bytes", async () => {
    const input = fc.oneof(
      { weight: 4, arbitrary: mutated(probeMatches) },
      {
        weight: 1,
        arbitrary: fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b).toString("latin1")),
      },
    );
    await fuzz(
      "probe-matches",
      input,
      (text) => {
        try {
          const message = parseProbeMatches(Buffer.from(text, "latin1"));
          assert.ok(message.matches.length <= 16);
          for (const match of message.matches) {
            assert.ok(match.xaddrs.length <= MAX_XADDRS && match.scopes.length <= MAX_SCOPES);
            assert.equal(typeof match.urn, "string");
          }
        } catch (error) {
          expectTyped(error, XmlError);
        }
      },
      { seed: 0x3702, numRuns: 3000 },
    );
  });
});
