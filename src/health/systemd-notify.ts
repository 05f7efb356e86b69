import { createRequire } from "node:module";
import type * as UnixDgram from "unix-dgram";
import type { UnixDgramSocket } from "unix-dgram";
import { CamgateError } from "../errors.js";
import type { Component } from "../lifecycle/index.js";
import type { Logger } from "../log/index.js";

/** The service manager's side of sd_notify(3), as systemd passes it in the environment. */
export interface NotifyEnvironment {
  socketPath: string;
  /** Half the watchdog period, when systemd watches this process; else undefined. */
  watchdogEveryMs: number | undefined;
}

export function notifyEnvironment(
  env: NodeJS.ProcessEnv,
  pid = process.pid,
): NotifyEnvironment | undefined {
  const socketPath = env["NOTIFY_SOCKET"];
  if (!socketPath) return undefined;
  const usec = Number(env["WATCHDOG_USEC"]);
  const forUs = !env["WATCHDOG_PID"] || Number(env["WATCHDOG_PID"]) === pid;
  return {
    socketPath,
    watchdogEveryMs: Number.isFinite(usec) && usec > 0 && forUs ? usec / 2000 : undefined,
  };
}

export class SystemdNotifyError extends CamgateError {}

export interface SystemdNotifierDeps {
  environment: NotifyEnvironment;
  /** The one-line STATUS= systemctl shows, e.g. "4 cameras recording, uplink up". */
  statusLine: () => string;
  statusEveryMs: number;
  logger: Logger;
}

/**
 * Type=notify for systemd: READY=1 once every other component runs (this one starts last),
 * WATCHDOG=1 at half the watchdog period from the event loop (a blocked loop is a hung agent
 * and gets restarted), a STATUS= line, and STOPPING=1 first thing on stop.
 */
export class SystemdNotifier implements Component {
  readonly name = "systemd-notify";
  #socket: UnixDgramSocket | undefined;
  #timers: NodeJS.Timeout[] = [];
  #lastStatus = "";

  constructor(private readonly deps: SystemdNotifierDeps) {}

  async start(_signal: AbortSignal): Promise<void> {
    const { environment, statusEveryMs } = this.deps;
    if (environment.socketPath.startsWith("@")) {
      throw new SystemdNotifyError(
        `abstract notify sockets are not supported: ${environment.socketPath}`,
      );
    }
    // A native module: loaded only when systemd asks for notifications.
    const require = createRequire(import.meta.url);
    const { createSocket } = require("unix-dgram") as typeof UnixDgram;
    const socket = createSocket("unix_dgram");
    socket.on("error", (error: Error) =>
      this.deps.logger.warn({ err: error }, "systemd notify failed"),
    );
    this.#socket = socket;
    this.#lastStatus = this.#status();
    await this.#send(`READY=1\nSTATUS=${this.#lastStatus}`);
    const every = (ms: number, fn: () => void) => this.#timers.push(setInterval(fn, ms));
    if (environment.watchdogEveryMs !== undefined)
      every(environment.watchdogEveryMs, () => void this.#send("WATCHDOG=1"));
    every(statusEveryMs, () => {
      const status = this.#status();
      if (status === this.#lastStatus) return;
      this.#lastStatus = status;
      void this.#send(`STATUS=${status}`);
    });
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    this.#timers.forEach(clearInterval);
    this.#timers = [];
    await this.#sendOn(socket, "STOPPING=1\nSTATUS=stopping");
    socket.close();
  }

  #status(): string {
    return this.deps.statusLine().replace(/\n/g, " ");
  }

  #send(message: string): Promise<void> {
    return this.#socket ? this.#sendOn(this.#socket, message) : Promise.resolve();
  }

  #sendOn(socket: UnixDgramSocket, message: string): Promise<void> {
    const buffer = Buffer.from(message);
    return new Promise((resolve) => {
      socket.send(buffer, 0, buffer.length, this.deps.environment.socketPath, (error) => {
        if (error) this.deps.logger.warn({ err: error }, "systemd notify failed");
        resolve();
      });
    });
  }
}
