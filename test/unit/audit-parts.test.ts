import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { CONTROLS, loadAuditData } from "../../src/audit/index.js";
import { CHECKS } from "../../src/audit/checks/index.js";
import { passwordWeaknesses } from "../../src/audit/checks/auth.js";
import { certificateProblems } from "../../src/audit/checks/comms.js";
import { EvidenceScrubber } from "../../src/audit/evidence.js";
import { buildDate, inRange, matchAdvisories } from "../../src/audit/firmware-match.js";
import { safeRtspUri } from "../../src/audit/probes/rtsp.js";
import { allDefaultPasswords } from "../../src/audit/vendor-data.js";
import { createSimulatorCa, cameraCertificate } from "../../src/sim/tls-certs.js";
import {
  decodeMessage,
  encodeGetRequest,
  encodeGetResponse,
  PDU_GET_REQUEST,
  PDU_GET_RESPONSE,
  SnmpDecodeError,
  SYS_DESCR_OID,
} from "../../src/util/snmp.js";

const data = loadAuditData();

describe("audit catalogue", () => {
  it("has one check per control and no check without a control", () => {
    const ids = CONTROLS.map((control) => control.id);
    assert.equal(new Set(ids).size, ids.length, "ids are unique");
    assert.deepEqual([...CHECKS.keys()].sort(), [...ids].sort());
    assert.equal(ids.length, 35);
  });

  it("gives every control a remediation and references", () => {
    for (const control of CONTROLS) {
      assert.ok(control.remediation.length > 20, control.id);
      assert.ok(control.refs.qcvn11 ?? control.refs.en303645, control.id);
    }
  });
});

describe("audit data files", () => {
  it("load and validate, with the advisories the baseline names", () => {
    const ids = data.advisories.flatMap((advisory) => advisory.ids);
    for (const id of [
      "CVE-2017-7921",
      "CVE-2021-36260",
      "CVE-2021-33044",
      "CVE-2018-17915",
      "CVE-2021-45039",
    ])
      assert.ok(ids.includes(id), id);
    for (const vendor of ["hikvision", "dahua", "xiongmai", "uniview"])
      assert.ok(
        data.advisories.some((advisory) => advisory.vendor === vendor),
        vendor,
      );
    assert.ok(data.advisories.every((advisory) => advisory.source.length > 0));
  });

  it("refuses a data directory that does not validate", () => {
    assert.throws(() => loadAuditData(new URL("file:///nonexistent/")), /cannot read audit data/);
  });
});

describe("firmware matching", () => {
  it("reads build dates in the vendors' spellings", () => {
    assert.equal(buildDate("V5.4.0 build 160530"), "2016-05-30");
    assert.equal(buildDate("2.800.0000016.0.R, Build Date: 2021-05-18"), "2021-05-18");
    assert.equal(buildDate("V2.800.0000000.11.R"), undefined);
  });

  it("compares ranges by version and build date", () => {
    const range = { from: "V5.2.0 build 140721", through: "V5.4.0 build 160530" };
    assert.equal(inRange(range, "V5.3.0 build 150101"), "affected");
    assert.equal(inRange(range, "V5.4.0 build 160530"), "affected");
    assert.equal(inRange(range, "V5.4.1 build 160601"), "not-affected");
    assert.equal(inRange(range, "V5.1.0 build 130101"), "not-affected");
    assert.equal(inRange({ buildBefore: "2021-07-01" }, "V2.800.0000000.11.R"), "undetermined");
    assert.equal(
      inRange({ buildBefore: "2021-07-01" }, "V2.800 Build Date: 2021-08-02"),
      "not-affected",
    );
  });

  it("matches vendor and model before the firmware", () => {
    const hit = matchAdvisories(data, {
      manufacturer: "HIKVISION",
      model: "DS-2CD2032-I",
      firmwareVersion: "V5.4.0 build 160530",
    });
    assert.deepEqual(
      hit.map((m) => m.advisory.ids[0]),
      ["CVE-2017-7921"],
    );
    assert.deepEqual(
      matchAdvisories(data, {
        manufacturer: "CamgateSim",
        model: "DS-2CD2032-I",
        firmwareVersion: "V5.4.0 build 160530",
      }),
      [],
    );
  });
});

describe("password scoring", () => {
  it("names each missing class and known defaults, never the password", () => {
    const defaults = allDefaultPasswords(data);
    assert.deepEqual(passwordWeaknesses("Cg!Strong7a", defaults), []);
    const weak = passwordWeaknesses("12345", defaults);
    assert.ok(weak.some((w) => w.en === "a known factory default password"));
    assert.ok(weak.some((w) => w.en.startsWith("shorter than 8")));
    assert.ok(weak.some((w) => w.vi.startsWith("ngắn hơn 8 ký tự")));
    assert.ok(weak.every((w) => !w.en.includes("12345") && !w.vi.includes("12345")));
  });
});

describe("evidence scrubbing", () => {
  it("removes passwords, tokens, sessions and binary data, and trims", () => {
    const scrub = new EvidenceScrubber(["s3cret-pass"]);
    const text = scrub.text(
      '<wsse:Password Type="x">abc</wsse:Password><wsse:Nonce>n0nce</wsse:Nonce> s3cret-pass {"session":"deadbeef","password":"x"} Authorization: Digest foo=bar',
    )!;
    for (const secret of ["abc<", "n0nce", "s3cret-pass", "deadbeef", "foo=bar"])
      assert.ok(!text.includes(secret), secret);
    assert.match(scrub.text(Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2, 3, 0, 0, 5]))!, /binary data/);
    assert.ok(scrub.text("x".repeat(5000))!.length < 700);
  });
});

describe("RTSP URIs from cameras", () => {
  it("keeps only rtsp(s), drops user-info and points at the audited host", () => {
    assert.equal(
      safeRtspUri("rtsp://user:pw@10.0.0.9:554/a", "127.0.0.5")?.href,
      "rtsp://127.0.0.5:554/a",
    );
    assert.equal(safeRtspUri("http://127.0.0.5/a", "127.0.0.5"), undefined);
    assert.equal(safeRtspUri("rtsp://127.0.0.5/a\r\nX: y", "127.0.0.5"), undefined);
  });
});

describe("SNMP codec", () => {
  it("round-trips a GET and its response", () => {
    const request = decodeMessage(encodeGetRequest("public", 4242, SYS_DESCR_OID));
    assert.equal(request.community, "public");
    assert.equal(request.pduType, PDU_GET_REQUEST);
    assert.equal(request.requestId, 4242);
    assert.equal(request.varbinds[0]?.oid, SYS_DESCR_OID);
    const response = decodeMessage(encodeGetResponse("public", 4242, SYS_DESCR_OID, "Cam 1.0"));
    assert.equal(response.pduType, PDU_GET_RESPONSE);
    assert.equal(response.varbinds[0]?.value.toString(), "Cam 1.0");
  });

  it("refuses truncated and lying lengths", () => {
    const packet = encodeGetRequest("public", 1, SYS_DESCR_OID);
    assert.throws(() => decodeMessage(packet.subarray(0, packet.length - 3)), SnmpDecodeError);
    const lying = Buffer.from(packet);
    lying[1] = 0x7f;
    assert.throws(() => decodeMessage(lying), SnmpDecodeError);
    assert.throws(() => decodeMessage(Buffer.alloc(0)), SnmpDecodeError);
  });
});

describe("certificate inspection", () => {
  const ca = createSimulatorCa();
  it("passes a CA-signed RSA-2048 SHA-256 certificate for the host", () => {
    const good = new X509Certificate(cameraCertificate("127.0.0.5", false, ca).certPem);
    assert.deepEqual(certificateProblems(good, "127.0.0.5"), []);
    assert.deepEqual(certificateProblems(good, "127.0.0.6"), [
      { en: "not issued for 127.0.0.6", vi: "không cấp cho 127.0.0.6" },
    ]);
  });

  it("names every fault of a factory certificate", () => {
    const bad = new X509Certificate(cameraCertificate("127.0.0.5", true, ca).certPem);
    const problems = certificateProblems(bad, "127.0.0.5")
      .map((problem) => problem.en)
      .join("; ");
    for (const expected of ["self-signed", "sha1", "1024 bits", "not issued"])
      assert.match(problems, new RegExp(expected, "i"));
    assert.match(
      certificateProblems(bad, "127.0.0.5", Date.now() + 30 * 365 * 86_400_000)
        .map((problem) => `${problem.en} / ${problem.vi}`)
        .join(),
      /expired on .* \/ đã hết hạn từ /,
    );
  });
});
