import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AccessLog } from "../../src/access/index.js";
import { type CommandHandlers, CommandService } from "../../src/commands/index.js";
import { silentLogger } from "../../src/log/index.js";
import { defer } from "../helpers/temp.js";
import { type UplinkParts, until, uplinkParts } from "../helpers/uplink-parts.js";

/** Only status.get answers; the others are not reached by these tests. */
const handlers = {
  "status.get": async () => ({ uptime: 1 }),
} as unknown as CommandHandlers;

async function service(t: Parameters<typeof uplinkParts>[0], parts: UplinkParts) {
  const commands = new CommandService({
    topics: parts.topics,
    handlers,
    store: parts.store,
    accessLog: new AccessLog(parts.store, parts.bus),
    signingKeyFile: undefined,
    session: parts.link,
    outbox: parts.outbox,
    overBudget: () => false,
    logger: silentLogger(),
  });
  await commands.start(new AbortController().signal);
  defer(t, () => commands.stop());
  return commands;
}

function reply(parts: UplinkParts, topic: string) {
  const [message] = parts.link.on(topic);
  assert.ok(message, `a reply on ${topic}`);
  return { message, body: JSON.parse(message.payload.toString()) as Record<string, unknown> };
}

describe("CommandService on the fake link", () => {
  it("subscribes to its site's commands and answers on the response topic with the correlation data", async (t) => {
    const parts = await uplinkParts(t);
    await parts.sender();
    await service(t, parts);
    assert.deepEqual(parts.link.filters, [parts.topics.commands()]);
    parts.link.up();
    const replyTopic = `${parts.topics.root}/reply/c1`;
    parts.link.deliver(`${parts.topics.root}/cmd/status.get`, "{}", {
      responseTopic: replyTopic,
      correlationData: Buffer.from("corr"),
    });
    await until(() => parts.link.on(replyTopic).length === 1);
    const { message, body } = reply(parts, replyTopic);
    assert.equal(body["ok"], true);
    assert.deepEqual(body["result"], { uptime: 1 });
    assert.equal(message.options.correlationData?.toString(), "corr");
  });

  it("commands still arrive after a reconnect that lost the broker's session", async (t) => {
    const parts = await uplinkParts(t);
    await parts.sender();
    await service(t, parts);
    parts.link.up();
    parts.link.down();
    parts.link.up({ sessionPresent: false });
    const replyTopic = `${parts.topics.root}/reply/c2`;
    assert.equal(
      parts.link.deliver(`${parts.topics.root}/cmd/status.get`, "{}", {
        responseTopic: replyTopic,
      }),
      1,
    );
    await until(() => parts.link.on(replyTopic).length === 1);
  });

  it("junk gets an error reply naming what is wrong, and the service goes on", async (t) => {
    const parts = await uplinkParts(t);
    await parts.sender();
    await service(t, parts);
    parts.link.up();
    const replyTopic = `${parts.topics.root}/reply/c3`;
    parts.link.deliver(`${parts.topics.root}/cmd/status.get`, "not json", {
      responseTopic: replyTopic,
    });
    await until(() => parts.link.on(replyTopic).length === 1);
    const { body } = reply(parts, replyTopic);
    assert.equal(body["ok"], false);
    assert.equal((body["error"] as { code: string }).code, "bad_request");
  });

  it("a reply the broker refuses does not break the next command", async (t) => {
    const parts = await uplinkParts(t);
    await parts.sender();
    await service(t, parts);
    parts.link.up();
    const refused = `${parts.topics.root}/reply/refused`;
    parts.link.answer((topic) => topic === refused, 0x87);
    parts.link.deliver(`${parts.topics.root}/cmd/status.get`, "{}", { responseTopic: refused });
    const replyTopic = `${parts.topics.root}/reply/c4`;
    parts.link.deliver(`${parts.topics.root}/cmd/status.get`, "{}", { responseTopic: replyTopic });
    await until(() => parts.link.on(replyTopic).length === 1);
    assert.equal(parts.link.on(refused).length, 0);
  });

  it("once stopped, it hears no more commands", async (t) => {
    const parts = await uplinkParts(t);
    const commands = await service(t, parts);
    parts.link.up();
    await commands.stop();
    assert.equal(parts.link.deliver(`${parts.topics.root}/cmd/status.get`, "{}"), 0);
  });
});
