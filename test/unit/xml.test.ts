import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  child,
  DEFAULT_XML_LIMITS,
  escapeXml,
  NS,
  parseXml,
  resolveQName,
  textOf,
  XmlError,
} from "../../src/onvif/index.js";

const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/onvif/", import.meta.url));

describe("untrusted XML", () => {
  it("resolves namespaces by URI, whatever prefixes the sender chose", () => {
    const a = parseXml(
      `<x:Envelope xmlns:x="${NS.soap12}"><x:Body><m:Thing xmlns:m="${NS.tds}">v</m:Thing></x:Body></x:Envelope>`,
    );
    const b = parseXml(
      `<Envelope xmlns="${NS.soap12}"><Body><Thing xmlns="${NS.tds}">v</Thing></Body></Envelope>`,
    );
    for (const root of [a, b]) {
      assert.equal(root.ns, NS.soap12);
      assert.equal(textOf(child(child(root, NS.soap12, "Body"), NS.tds, "Thing")), "v");
    }
    const typed = parseXml(`<t xmlns:dn="${NS.dn}">dn:NetworkVideoTransmitter</t>`);
    assert.deepEqual(resolveQName(typed, "dn:NetworkVideoTransmitter"), {
      ns: NS.dn,
      local: "NetworkVideoTransmitter",
    });
  });

  it("gives each element the concatenation of its own text, around children, entities and CDATA", () => {
    const root = parseXml("<a>x<b>y&amp;<![CDATA[<z>]]></b>w&#x41;<![CDATA[]]>v</a>");
    assert.equal(root.text, "xwAv");
    assert.equal(root.children[0]?.text, "y&<z>");
    assert.equal(parseXml("<a><b/></a>").text, "");
  });

  it("resolves QNames through linked scopes: inner declarations shadow outer ones", () => {
    const root = parseXml(
      `<r xmlns:p="urn:outer" xmlns="urn:default"><a><b xmlns:p="urn:inner" xmlns:q="urn:q"><c/></b></a></r>`,
    );
    const a = root.children[0]!;
    const c = a.children[0]!.children[0]!;
    assert.equal(a.scope, root.scope, "an element that declares nothing shares its parent's scope");
    assert.deepEqual(resolveQName(a, "p:X"), { ns: "urn:outer", local: "X" });
    assert.deepEqual(resolveQName(c, "p:X"), { ns: "urn:inner", local: "X" });
    assert.deepEqual(resolveQName(c, "q:X"), { ns: "urn:q", local: "X" });
    assert.deepEqual(resolveQName(c, "X"), { ns: "urn:default", local: "X" });
    assert.deepEqual(resolveQName(a, "q:X"), { ns: "", local: "X" }, "q is not in scope at a");
    assert.deepEqual(resolveQName(c, "toString:X"), { ns: "", local: "X" });
  });

  it("caps namespace declarations and attributes per element and per document, naming the cap", () => {
    const declarations = (count: number, from = 0) =>
      Array.from({ length: count }, (_, i) => ` xmlns:n${from + i}="urn:n${from + i}"`).join("");
    const attributes = (count: number) =>
      Array.from({ length: count }, (_, i) => ` a${i}="v"`).join("");
    const limits = DEFAULT_XML_LIMITS;
    assert.doesNotThrow(() => parseXml(`<r${declarations(limits.maxNamespacesPerElement!)}/>`));
    assert.throws(
      () => parseXml(`<r${declarations(limits.maxNamespacesPerElement! + 1)}/>`),
      (error: Error) =>
        error instanceof XmlError && /declares more than 256 namespaces/.test(error.message),
    );
    const spread = Array.from({ length: 5 }, (_, i) => `<e${declarations(220, i * 220)}/>`);
    assert.throws(
      () => parseXml(`<r>${spread.join("")}</r>`),
      (error: Error) =>
        error instanceof XmlError && /XML declares more than 1024 namespaces/.test(error.message),
    );
    assert.throws(
      () => parseXml(`<r${attributes(limits.maxAttributesPerElement! + 1)}/>`),
      /element has more than 256 attributes/,
    );
    const many = `<e${attributes(200)}/>`.repeat(201);
    assert.throws(() => parseXml(`<r>${many}</r>`), /XML has more than 40000 attributes/);
    assert.doesNotThrow(() => parseXml(`<r>${`<e${attributes(200)}/>`.repeat(199)}</r>`));
  });

  it("refuses any DOCTYPE: no entity expansion, no external entity is read", () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>`;
    const external = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`;
    for (const hostile of [laughs, external]) {
      assert.throws(
        () => parseXml(hostile),
        (error: Error) => error instanceof XmlError && /DOCTYPE/.test(error.message),
      );
    }
    assert.throws(() => parseXml("<r>&undefined;</r>"), XmlError);
  });

  it("bounds size, depth and element count, and rejects invalid UTF-8", () => {
    assert.throws(
      () =>
        parseXml(`<r>${"x".repeat(2048)}</r>`, { maxBytes: 1024, maxDepth: 8, maxElements: 10 }),
      /exceeds 1024/,
    );
    assert.throws(() => parseXml(`${"<a>".repeat(100)}${"</a>".repeat(100)}`), /deeper than 64/);
    assert.throws(() => parseXml(`<r>${"<a/>".repeat(30_000)}</r>`), /more than 20000 elements/);
    assert.throws(
      () => parseXml(Buffer.from([0x3c, 0x72, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x72, 0x3e])),
      /not valid UTF-8/,
    );
    assert.throws(() => parseXml("<r><unclosed></r>"), /malformed XML/);
    assert.throws(() => parseXml("<p:r/>"), /malformed XML/, "an unbound prefix is an error");
    const lenient = parseXml("<env:Envelope><d:Probe/></env:Envelope>", {
      ...DEFAULT_XML_LIMITS,
      lenientPrefixes: true,
    });
    assert.equal(lenient.ns, NS.soap12, "unless the caller asks for conventional prefixes");
    assert.equal(lenient.children[0]?.ns, NS.wsd);
    assert.throws(() => parseXml(""), XmlError);
  });

  it("parses every real-device fixture", async () => {
    const vendors = await readdir(FIXTURES, { withFileTypes: true });
    let parsed = 0;
    for (const vendor of vendors.filter((entry) => entry.isDirectory())) {
      for (const file of await readdir(join(FIXTURES, vendor.name))) {
        if (!file.endsWith(".xml")) continue;
        const text = await readFile(join(FIXTURES, vendor.name, file));
        // The HTML 401 page some cameras send is not XML; everything else must parse.
        if (file.includes("HTML")) continue;
        const root = parseXml(text, { ...DEFAULT_XML_LIMITS, lenientPrefixes: true });
        assert.equal(root.local, "Envelope", `${vendor.name}/${file}`);
        assert.equal(root.ns, NS.soap12, `${vendor.name}/${file}`);
        parsed++;
      }
    }
    assert.ok(parsed >= 60, `only ${parsed} fixtures found`);
  });

  it("escapes what it writes", () => {
    assert.equal(
      escapeXml(`<a href="x">&'</a>\u0001`),
      "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;",
    );
  });
});
