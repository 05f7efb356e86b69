import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { CredentialVault } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log/index.js";
import { SecretSealer } from "../../src/pki/index.js";
import { camerasStep } from "../../src/provision/cameras-step.js";
import { auditStep, type StepContext } from "../../src/provision/steps.js";
import {
  LinePrompter,
  type Prompter,
  provisionPaths,
  ProvisionStepError,
  ScriptedPrompter,
} from "../../src/provision/index.js";
import { Store } from "../../src/store/index.js";
import { hardenedCameras } from "../helpers/site.js";
import { tempDir } from "../helpers/temp.js";

/**
 * A technician at a terminal, as the step's real prompter sees one: each prompt it writes is
 * recorded and answered by `answer` (which knows which camera a password is for from the prompt
 * before it), typed back as a line.
 */
function technician(answer: (prompt: string) => string): { prompter: Prompter; asked: string[] } {
  const keyboard = new PassThrough();
  const screen = new PassThrough();
  const prompter = new LinePrompter(keyboard, screen);
  const asked: string[] = [];
  let pending = "";
  screen.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    if (!pending.endsWith(": ")) return;
    const prompt = pending.split("\n").at(-1) ?? "";
    pending = "";
    asked.push(prompt);
    // Typed once the prompter waits for it, as a person types after reading the prompt.
    const line = answer(prompt);
    setImmediate(() => keyboard.write(`${line}\n`));
  });
  return { prompter, asked };
}

describe("provision, cameras step at a terminal", () => {
  it("re-asks a camera's credentials after 'not authorized', approves it with the right ones, and stops naming the camera that never accepted any", async (t) => {
    const dir = await tempDir(t);
    const sim = await hardenedCameras(t, "127.0.172.26", 2);
    const [good, stubborn] = sim.describe();
    const paths = provisionPaths(join(dir, "etc", "camgate.yaml"), join(dir, "state"));
    // What the technician types for each camera's password, one after another.
    const typed: Record<string, string[]> = {
      [good!.address]: ["typo-Passw0rd!", good!.password],
      [stubborn!.address]: ["not-it-1", "not-it-2"],
    };
    let camera = "";
    const { prompter, asked } = technician((prompt) => {
      if (prompt.startsWith("Address ranges to sweep")) return "127.0.172.24/29";
      if (prompt.startsWith("Approve which cameras?")) return "all";
      const user = /^Camera username \(([^;]+);/.exec(prompt);
      if (user) {
        camera = user[1] ?? "";
        return camera === "site default" ? "" : "admin";
      }
      if (prompt === "Password for admin: ") {
        const next = typed[camera]?.shift();
        assert.ok(next !== undefined, `asked once too often for ${camera}'s password`);
        return next;
      }
      throw new Error(`unexpected prompt: ${prompt}`);
    });
    t.after(() => prompter.close());
    const said: string[] = [];
    const step = camerasStep({
      answers: { discovery: { multicast: false } },
      prompter,
      state: { version: 1, done: ["site"], site: { id: "hn-prov-03" } },
      paths,
      say: (line) => said.push(line),
      logger: silentLogger(),
    });

    await assert.rejects(step, (error: Error) => {
      assert.ok(error instanceof ProvisionStepError, String(error));
      assert.match(
        error.message,
        new RegExp(
          `^not approved: ${stubborn!.address.replaceAll(".", "\\.")} \\(cam-[0-9a-f]+\\): credentials refused\\. `,
        ),
      );
      return true;
    });
    const refusals = (address: string) =>
      said.filter((line) => line === `  ${address}: the camera refused the username or password`)
        .length;
    // Tried without credentials (none given, no site default), then with each typed password.
    assert.equal(refusals(good!.address), 2);
    assert.equal(refusals(stubborn!.address), 3);
    for (const address of [good!.address, stubborn!.address])
      assert.equal(
        asked.filter((prompt) => prompt === `Camera username (${address}; empty: none): `).length,
        2,
        `re-asked twice for ${address}`,
      );
    assert.deepEqual(typed, { [good!.address]: [], [stubborn!.address]: [] });
    assert.ok(
      said.some((line) =>
        new RegExp(
          `^cam-[0-9a-f]+ +${good!.address.replaceAll(".", "\\.")} +approved \\(CamgateSim`,
        ).test(line),
      ),
      said.join("\n"),
    );

    const store = new Store(join(paths.stateDir, "camgate.db"), silentLogger());
    t.after(() => store.close());
    const repos = store.open();
    const vault = new CredentialVault(
      repos,
      await SecretSealer.open(join(paths.stateDir, "keys", "seal.key")),
    );
    const byAddress = (address: string) => repos.cameras.list().find((c) => c.ip === address)!;
    assert.equal(byAddress(good!.address).trust, "approved");
    assert.deepEqual(vault.ownOf(byAddress(good!.address).id), {
      username: "admin",
      password: good!.password,
    });
    assert.equal(byAddress(stubborn!.address).trust, "pending");
    assert.equal(
      vault.ownOf(byAddress(stubborn!.address).id),
      undefined,
      "nothing refused is kept",
    );
  });

  it("shows the audit table and writes the report in the site owner's language: site.locale (vi) by default, --lang en on request", async (t) => {
    const dir = await tempDir(t);
    // Telnet left open: a critical failure, with its evidence expanded in the report.
    const sim = await hardenedCameras(t, "127.0.172.42", 1, {
      override: () => ({ weaknesses: { telnet: true } }),
    });
    const [camera] = sim.describe();
    const said: string[] = [];
    const ctx: StepContext = {
      answers: {
        discovery: { cidrs: ["127.0.172.40/29"], multicast: false },
        approve: "all",
        credentials: {
          cameras: { [camera!.address]: { username: "admin", password: camera!.password } },
        },
      },
      prompter: new ScriptedPrompter(),
      state: { version: 1, done: ["site"], site: { id: "hn-prov-04" } },
      paths: provisionPaths(join(dir, "etc", "camgate.yaml"), join(dir, "state")),
      say: (line) => said.push(line),
      logger: silentLogger(),
    };
    await camerasStep(ctx);
    const audited = async (lang?: "en") => {
      said.length = 0;
      await auditStep({ ...ctx, lang });
      const report = /^report for the camera owners: (.+)$/.exec(said.at(-1) ?? "")?.[1];
      assert.ok(report, said.join("\n"));
      return { lines: said.slice(), html: await readFile(report, "utf8") };
    };

    const vi = await audited();
    const head = vi.lines.findIndex((line) => line.startsWith("CAMERA"));
    assert.match(
      vi.lines[head] ?? "",
      /^CAMERA +ĐẠT +KHÔNG ĐẠT +CẦN KIỂM TRA +KHÔNG ĐẠT MỨC CAO\/NGHIÊM TRỌNG$/,
    );
    assert.match(
      vi.lines[head + 1] ?? "",
      new RegExp(`^${camera!.address.replaceAll(".", "\\.")} +\\d+ +[1-9]\\d* +\\d+ +có$`),
    );
    assert.match(vi.html, /<html lang="vi">/);
    assert.ok(vi.html.includes("Kết nối TCP tới"), "the report's evidence is in Vietnamese");
    assert.ok(!vi.html.includes("TCP connect"));

    const en = await audited("en");
    assert.ok(
      en.lines.some((line) => /^CAMERA +PASS +FAIL +TO CHECK +HIGH\/CRITICAL FAILING$/.test(line)),
      en.lines.join("\n"),
    );
    assert.match(en.html, /<html lang="en">/);
    assert.ok(en.html.includes("TCP connect"));
  });
});
