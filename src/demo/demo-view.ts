import type { Writable } from "node:stream";
import type { Center } from "../center/index.js";
import { formatTable } from "../cli/context.js";
import type { Config } from "../config/index.js";
import { formatBytes } from "../config/units.js";
import { type BoxStatus, gatherStatus } from "../health/index.js";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";
import { Store } from "../store/index.js";
import type { Demo } from "./demo.js";

function elapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
}

function atCenter(center: Center | undefined, cameraId: string): { segments: number; bad: number } {
  const received = center?.receivedSegments().filter((s) => s.cameraId === cameraId) ?? [];
  return { segments: received.length, bad: received.filter((s) => !s.verified).length };
}

function auditCell(audit: BoxStatus["cameras"][number]["audit"]): string {
  if (!audit) return "pending";
  const { pass = 0, fail = 0 } = audit.summary;
  return `${pass} pass, ${fail} fail`;
}

/**
 * What flows, redrawn every second on a terminal, or one line every 10 s when piped: cameras
 * and their recording, the link, what reached the center. Figures come from the same place as
 * `camgate status` (the store and the agent's runtime status) and from the center.
 */
export class DemoView implements Component {
  readonly name = "view";
  #timer: NodeJS.Timeout | undefined;
  #store: Store | undefined;
  /** The draw under way: stop waits for it before it closes the store the draw reads. */
  #drawing: Promise<void> = Promise.resolve();
  #screenText: string | undefined;
  #tty = false;

  constructor(
    private readonly demo: Demo,
    private readonly config: Config,
    private readonly out: Writable & { isTTY?: boolean },
    private readonly logger: Logger,
  ) {}

  async start(_signal: AbortSignal): Promise<void> {
    this.#store = new Store(this.config.store.path, this.logger.child({ component: "store" }));
    this.#store.open();
    const tty = this.out.isTTY === true;
    this.#tty = tty;
    // On a terminal the view lives on the alternate screen: the scrollback keeps what was there.
    if (tty) this.out.write("\x1b[?1049h");
    this.#timer = setInterval(
      () => {
        this.#drawing = this.#drawing.then(() => this.#draw(tty));
      },
      tty ? 1000 : 10_000,
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#drawing;
    this.#store?.close();
    this.#store = undefined;
    if (this.#tty) {
      this.#tty = false;
      // Back to the normal screen, with the last picture left in the scrollback.
      this.out.write(`\x1b[?1049l${this.#screenText ?? ""}\n`);
    }
  }

  async #draw(tty: boolean): Promise<void> {
    const store = this.#store;
    if (!store) return;
    try {
      const status = await gatherStatus(this.config, store.repos);
      const text = tty ? this.#screen(status).join("\n") : this.#line(status);
      if (tty) this.#screenText = text;
      if (this.#store !== store) return; // stopped meanwhile
      this.out.write(tty ? `\x1b[H\x1b[2J${text}\n` : `${text}\n`);
    } catch (error) {
      this.logger.warn({ err: error }, "demo view could not draw");
    }
  }

  #line(status: BoxStatus): string {
    const count = (test: (camera: BoxStatus["cameras"][number]) => boolean) =>
      status.cameras.filter(test).length;
    return (
      `demo ${elapsed(Date.now() - this.demo.startedAt)}: ${status.cameras.length} cameras discovered, ` +
      `${count((c) => c.recording === true)} recording, ${count((c) => c.audit !== null)} audited, ` +
      `uplink ${status.uplink.connected ? "up" : "down"}, ` +
      `${this.demo.center?.summary().video.verified ?? 0} segments verified at the center`
    );
  }

  #screen(status: BoxStatus): string[] {
    const center = this.demo.center;
    const summary = center?.summary();
    const messages = Object.values(summary?.sites ?? {}).reduce(
      (sum, site) => sum + site.messages,
      0,
    );
    const header = [
      `camgate demo · site ${status.site.id} · ${elapsed(Date.now() - this.demo.startedAt)} · Ctrl-C to stop`,
      `broker  ${this.demo.brokerUrl} (mutual TLS) · uplink ${status.uplink.connected ? "up" : "down"} · ` +
        `outbox ${status.uplink.outbox.messages} · video backlog ${status.uplink.videoBacklog.segments}`,
      `center  ${messages} messages · ${summary?.video.segments ?? 0} segments received, ` +
        `${summary?.video.verified ?? 0} verified · ${summary?.refused ?? 0} refused`,
      `disk    ${formatBytes(status.storage.storedBytes)} recorded in ${status.storage.dir}`,
      "",
    ];
    const rows = status.cameras.map((camera) => {
      const sim = this.demo.simulated(camera.ip);
      const received = atCenter(center, camera.id);
      return [
        camera.id,
        camera.ip ?? "-",
        sim?.profile ?? "-",
        camera.recording === null ? "-" : camera.recording ? "yes" : "no",
        formatBytes(camera.bytesToday),
        `${received.segments}${received.bad > 0 ? ` (${received.bad} bad)` : ""}`,
        auditCell(camera.audit),
      ];
    });
    return [
      ...header,
      ...formatTable(
        ["CAMERA", "IP", "PROFILE", "RECORDING", "RECORDED", "AT CENTER", "AUDIT"],
        rows,
      ),
    ];
  }
}
