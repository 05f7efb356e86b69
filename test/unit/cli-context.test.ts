import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import {
  type CliContext,
  formatTable,
  printLines,
  terminalSafe,
  terminalSafeDeep,
} from "../../src/cli/context.js";

function capture(): { ctx: CliContext; out: () => string } {
  let text = "";
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const ctx = { stdin: process.stdin, stdout, stderr: stdout, env: {} } as CliContext;
  return { ctx, out: () => text };
}

describe("CLI output of what devices said", () => {
  it("terminalSafe strips C0, DEL, C1 and bidirectional overrides, and keeps Vietnamese", () => {
    assert.equal(terminalSafe("\x1b[2J\x1b]0;owned\x07Cam"), "[2J]0;ownedCam");
    assert.equal(terminalSafe("a\u009b6nb\u0085c\u007fd"), "a6nbcd");
    assert.equal(terminalSafe("line\r\nforged\tcell"), "lineforgedcell");
    assert.equal(terminalSafe("exe\u202Etxt.\u2066x\u2069"), "exetxt.x");
    assert.equal(terminalSafe("Camera cổng trước", { multiline: true }), "Camera cổng trước");
    assert.equal(terminalSafe("a\nb\tc\x1b", { multiline: true }), "a\nb\tc");
  });

  it("formatTable sizes columns on the stripped cells", () => {
    const lines = formatTable(
      ["NAME", "X"],
      [
        ["\x1b[31mEvil\x1b[0m", "1"],
        ["ok", "2"],
      ],
    );
    assert.deepEqual(lines, ["NAME         X", "[31mEvil[0m  1", "ok           2"]);
  });

  it("printLines strips control characters; with colour it keeps SGR sequences only", () => {
    const plain = capture();
    printLines(plain.ctx, ["\x1b[2Jone", "two\x07"]);
    assert.equal(plain.out(), "[2Jone\ntwo\n");
    const coloured = capture();
    printLines(coloured.ctx, ["\x1b[32mPASS\x1b[0m \x1b]0;t\x07 \x1b[2J"], { colour: true });
    assert.equal(coloured.out(), "\x1b[32mPASS\x1b[0m ]0;t [2J\n");
  });

  it("terminalSafeDeep cleans every string of plain data and leaves the rest", () => {
    const report = {
      camera: { manufacturer: "\x1b[2JEvil", ports: [80, 554] },
      notes: ["a\u009bb", null],
      at: new Date(0),
    };
    const safe = terminalSafeDeep(report);
    assert.deepEqual(safe.camera, { manufacturer: "[2JEvil", ports: [80, 554] });
    assert.deepEqual(safe.notes, ["ab", null]);
    assert.equal(safe.at, report.at);
  });
});
