import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";

/** Where the real-device ONVIF captures live (../shared/fixtures/onvif/). */
export const ONVIF_FIXTURES = new URL("../../../../shared/fixtures/onvif/", import.meta.url);

/** One captured reply, bytes as the device sent them. */
export function onvifFixture(name: string): string {
  return readFileSync(new URL(name, ONVIF_FIXTURES), "utf8");
}

export interface FixtureReply {
  status?: number;
  body: string;
}

/**
 * An ONVIF device made of captured replies only: `replies` maps "path action" (or the action
 * alone) to what it answers; anything else gets `fallback` (the device's own fault, as it
 * answers what it does not implement). Captured XAddrs point at the capture's address: the
 * client re-hosts them to the address it reached. Keeps the "path action" of every request.
 */
export interface FixtureDevice {
  readonly xaddr: string;
  asked(): string[];
  stop(): Promise<void>;
}

export async function startFixtureDevice(options: {
  address: string;
  port: number;
  replies: Record<string, FixtureReply>;
  fallback: FixtureReply;
}): Promise<FixtureDevice> {
  const asked: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text.slice(text.search(/Body/));
      const action = /<(?:[\w-]+:)?(\w+)[\s/>]/.exec(body.slice(body.indexOf(">") + 1))?.[1] ?? "";
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      asked.push(`${path} ${action}`);
      const reply =
        options.replies[`${path} ${action}`] ?? options.replies[action] ?? options.fallback;
      res.writeHead(reply.status ?? 200, {
        "Content-Type": "application/soap+xml; charset=utf-8",
      });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.address, resolve));
  return {
    xaddr: `http://${options.address}:${options.port}/onvif/device_service`,
    asked: () => [...asked],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
