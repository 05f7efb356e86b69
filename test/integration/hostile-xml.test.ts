import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { discover, interrogate, OnvifCallError } from "../../src/discovery/index.js";
import { NS } from "../../src/onvif/index.js";
import { assertBounded, underAttack } from "../helpers/attack-cost.js";
import { runCamgate } from "../helpers/cli.js";

// Hostile devices of this file live on 127.0.212.0/24.
const HTTP_HOST = "127.0.212.1";
const GENUINE = "127.0.212.10";
const BOMBER = "127.0.212.11";
const ESCAPER = "127.0.212.12";
const FLOODER = "127.0.212.13";
const FLOOD_SOURCES = Array.from({ length: 32 }, (_, i) => `127.0.212.${100 + i}`);

/** Any C0 control but newline, DEL, or any C1 control: what a terminal would act on. */
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/;

/**
 * A SOAP envelope whose first half is namespace declarations on the Envelope and whose second
 * half is elements that each declare one more: the shape that made the old parser copy every
 * binding in scope for every element (an 842 KB one took 4.2 GB and 257 s).
 */
function namespaceBomb(
  bytes: number,
  parts: { header?: string; body: string; closeBody: string; truncated?: boolean },
): string {
  const declarations: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes / 2; i++) {
    const declaration = ` xmlns:p${i}="u${i}"`;
    declarations.push(declaration);
    length += declaration.length;
  }
  const elements: string[] = [];
  for (let i = 0; length < bytes; i++) {
    const element = `<p${i}:e xmlns:q${i}="v${i}"/>`;
    elements.push(element);
    length += element.length;
  }
  const open =
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" ` +
    `xmlns:tds="${NS.tds}"${declarations.join("")}>`;
  const close = parts.truncated ? "" : `${parts.closeBody}</s:Body></s:Envelope>`;
  return `${open}${parts.header ?? ""}<s:Body>${parts.body}${elements.join("")}${close}`;
}

function probeMatchesBomb(bytes: number, relatesTo: string, truncated = false): Buffer {
  return Buffer.from(
    namespaceBomb(bytes, {
      header: `<s:Header><a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header>`,
      body: "<d:ProbeMatches>",
      closeBody: "</d:ProbeMatches>",
      truncated,
    }),
  );
}

function probeMatch(relatesTo: string, scopes: readonly string[], host: string): string {
  return (
    `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}"><s:Header>` +
    `<a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>` +
    `<a:EndpointReference><a:Address>urn:uuid:${randomUUID()}</a:Address></a:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>${scopes.join(" ")}</d:Scopes>` +
    `<d:XAddrs>http://${host}/onvif/device_service</d:XAddrs></d:ProbeMatch></d:ProbeMatches>` +
    `</s:Body></s:Envelope>`
  );
}

interface Prober {
  messageId: string;
  port: number;
  address: string;
}

/** A WS-Discovery responder on port 3702 of `host`: `answer` is told of each Probe. */
async function responder(
  host: string,
  answer: (prober: Prober, reply: (datagram: string | Buffer) => void) => void,
): Promise<Socket> {
  const socket = createSocket({ type: "udp4", reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(3702, host, resolve));
  socket.on("message", (datagram, remote) => {
    const messageId = /MessageID>([^<]+)</.exec(datagram.toString())?.[1] ?? "";
    answer({ messageId, port: remote.port, address: remote.address }, (reply) =>
      socket.send(reply, remote.port, remote.address),
    );
  });
  return socket;
}

async function bindAll(hosts: readonly string[], perHost: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (const host of hosts) {
    for (let i = 0; i < perHost; i++) {
      const socket = createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, host, resolve));
      sockets.push(socket);
    }
  }
  return sockets;
}

describe("hostile XML from devices on the camera LAN", () => {
  let server: Server;
  let reply = "";
  before(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/soap+xml; charset=utf-8" });
        response.end(reply);
      });
    });
    await new Promise<void>((resolve) => server.listen(80, HTTP_HOST, resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const xaddr = `http://${HTTP_HOST}/onvif/device_service`;
  const soapBomb = (bytes: number) =>
    namespaceBomb(bytes, {
      body: "<tds:GetSystemDateAndTimeResponse>",
      closeBody: "</tds:GetSystemDateAndTimeResponse>",
    });

  for (const kib of [300, 840]) {
    it(`interrogate(): a ${kib} KB namespace-bomb reply fails at once, naming the cap`, async (t) => {
      reply = soapBomb(kib * 1024);
      const cost = await underAttack(() =>
        interrogate(xaddr, { callTimeoutMs: 10_000 }).then(
          () => assert.fail("a namespace bomb was accepted"),
          (error: unknown) => error,
        ),
      );
      assert.ok(cost.result instanceof OnvifCallError, String(cost.result));
      assert.equal(cost.result.kind, "malformed");
      assert.match(
        cost.result.message,
        /^127\.0\.212\.1: unusable reply: XML element declares more than 256 namespaces/,
      );
      assertBounded(cost, t);
    });
  }

  it("camgate inspect: an 840 KB namespace bomb is a clear error, exit 1", async () => {
    reply = soapBomb(840 * 1024);
    const result = await runCamgate(["inspect", xaddr, "--timeout", "10s"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /unusable reply: XML element declares more than 256 namespaces/);
    assert.equal(result.stdout, "");
  });

  it("camgate inspect: what a device says reaches the terminal without control characters", async () => {
    const response = (body: string) =>
      `<?xml version="1.1"?><s:Envelope xmlns:s="${NS.soap12}" xmlns:tds="${NS.tds}"><s:Body>${body}</s:Body></s:Envelope>`;
    const information = response(
      "<tds:GetDeviceInformationResponse>" +
        "<tds:Manufacturer>&#x1B;[2J&#x1B;]0;owned&#x7;Evil&#x9B;6n</tds:Manufacturer>" +
        "<tds:Model>&#x1B;[31mRed</tds:Model><tds:FirmwareVersion>1&#x8;&#x8;9</tds:FirmwareVersion>" +
        "<tds:SerialNumber>S&#x85;N</tds:SerialNumber><tds:HardwareId>H</tds:HardwareId>" +
        "</tds:GetDeviceInformationResponse>",
    );
    const hostile = createServer((request, answer) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        answer.writeHead(200, { "content-type": "application/soap+xml; charset=utf-8" });
        answer.end(body.includes("GetDeviceInformation") ? information : response(""));
      });
    });
    await new Promise<void>((resolve) => hostile.listen(80, ESCAPER, resolve));
    try {
      const result = await runCamgate(["inspect", `http://${ESCAPER}/onvif/device_service`]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\[2J\]0;ownedEvil6n \[31mRed, firmware 19, serial SN/);
      assert.doesNotMatch(result.stdout, TERMINAL_CONTROL);
      assert.doesNotMatch(result.stderr, TERMINAL_CONTROL);
    } finally {
      await new Promise<void>((resolve) => hostile.close(() => resolve()));
    }
  });

  it("WS-Discovery: bomb datagrams are dropped unread or refused at once; the camera is found", async (t) => {
    const genuine = await responder(GENUINE, ({ messageId }, send) =>
      send(probeMatch(messageId, ["onvif://www.onvif.org/name/Genuine"], GENUINE)),
    );
    // From three addresses: a 62 KB bomb (over the size cap), a 46 KB one answering our probe,
    // and a malformed 46 KB one answering someone else's (parsing it would give a warning).
    const [big, answering, foreign] = (await bindAll(
      ["127.0.212.21", "127.0.212.22", "127.0.212.23"],
      1,
    )) as [Socket, Socket, Socket];
    const bomber = await responder(BOMBER, ({ messageId, port, address }, send) => {
      send(probeMatch(messageId, ["onvif://www.onvif.org/name/Bomber"], BOMBER));
      big.send(probeMatchesBomb(62 * 1024, messageId), port, address);
      answering.send(probeMatchesBomb(46 * 1024, messageId), port, address);
      const stranger = `urn:uuid:${randomUUID()}`;
      foreign.send(probeMatchesBomb(46 * 1024, stranger, true), port, address);
    });
    try {
      const cost = await underAttack(() =>
        discover({ cidrs: [`${GENUINE}/32`, `${BOMBER}/32`], timeoutMs: 1500, multicast: false }),
      );
      assertBounded(cost, t);
      const { devices, warnings } = cost.result;
      assert.deepEqual(devices.map((d) => d.scopes.name).sort(), ["Bomber", "Genuine"]);
      assert.deepEqual(warnings, [
        "127.0.212.22: unusable ProbeMatches: XML element declares more than 256 namespaces",
      ]);
    } finally {
      for (const socket of [genuine, bomber, big, answering, foreign]) socket.close();
    }
  });

  it("WS-Discovery: a flood of bombs from 64 addresses and ports during the round", async (t) => {
    const genuine = await responder(GENUINE, ({ messageId }, send) =>
      send(probeMatch(messageId, ["onvif://www.onvif.org/name/Genuine"], GENUINE)),
    );
    const sources = await bindAll(FLOOD_SOURCES, 2);
    const bombs = (messageId: string) => [
      probeMatchesBomb(62 * 1024, messageId),
      probeMatchesBomb(46 * 1024, messageId),
      probeMatchesBomb(46 * 1024, `urn:uuid:${randomUUID()}`, true),
    ];
    let sent = 0;
    const waves: NodeJS.Timeout[] = [];
    const flooder = await responder(FLOODER, ({ messageId, port, address }) => {
      const datagrams = bombs(messageId);
      // Five waves over the round, every source sending each kind of bomb in each.
      for (let wave = 0; wave < 5; wave++) {
        const timer = setTimeout(() => {
          for (const source of sources) {
            for (const datagram of datagrams) source.send(datagram, port, address);
            sent += datagrams.length;
          }
        }, wave * 200);
        waves.push(timer);
      }
    });
    try {
      const cost = await underAttack(() =>
        discover({ cidrs: [`${GENUINE}/32`, `${FLOODER}/32`], timeoutMs: 1500, multicast: false }),
      );
      const { devices, warnings } = cost.result;
      assert.equal(sent, 5 * sources.length * 3);
      assert.deepEqual(
        devices.map((d) => d.scopes.name),
        ["Genuine"],
      );
      assert.ok(warnings.length >= 1, "some of the bombs answering our probe were read");
      assert.ok(warnings.length <= 33, `${warnings.length} warnings`);
      for (const warning of warnings.slice(0, -1))
        assert.match(
          warning,
          /^127\.0\.212\.1\d\d: unusable ProbeMatches: XML element declares more than 256 namespaces$/,
        );
      assertBounded(cost, t);
    } finally {
      for (const timer of waves) clearTimeout(timer);
      for (const socket of [genuine, flooder, ...sources]) socket.close();
    }
  });

  it("camgate discover: scopes that decode to escape sequences reach the terminal stripped", async () => {
    const name = "%1B%5B2J%1B%5BHEvil%1B%5D0%3Bowned%07Cam%C2%9B6n";
    const hardware = "HW%0D%0Aforged%09line%E2%80%AEtxt";
    const escaper = await responder(ESCAPER, ({ messageId }, send) =>
      send(
        probeMatch(
          messageId,
          [`onvif://www.onvif.org/name/${name}`, `onvif://www.onvif.org/hardware/${hardware}`],
          ESCAPER,
        ),
      ),
    );
    try {
      const result = await runCamgate([
        "discover",
        "--cidr",
        `${ESCAPER}/32`,
        "--no-multicast",
        "--timeout",
        "1s",
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stdout, TERMINAL_CONTROL);
      assert.doesNotMatch(result.stdout, /\u202E/);
      assert.doesNotMatch(result.stderr, TERMINAL_CONTROL);
      const row = result.stdout.split("\n")[1] ?? "";
      assert.match(row, /^127\.0\.212\.12 +\[2J\[HEvil\]0;ownedCam6n +HWforgedlinetxt +urn:uuid:/);
      assert.equal(result.stdout.trimEnd().split("\n").length, 2, "one header, one device");
    } finally {
      escaper.close();
    }
  });
});
