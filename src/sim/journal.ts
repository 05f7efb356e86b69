export type SimProtocol =
  | "onvif"
  | "rtsp"
  | "rtsps"
  | "http"
  | "https"
  | "wsd"
  | "telnet"
  | "ftp"
  | "ssh"
  | "tcp"
  | "snmp"
  | "ssdp";

export interface SimRequest {
  tsMs: number;
  protocol: SimProtocol;
  /** ONVIF operation, RTSP method, or HTTP method and path. */
  operation: string;
  /** The user the request claimed, authenticated or not. */
  user: string | null;
  authenticated: boolean;
  /** Status code, fault subcode, or "served". */
  outcome: string;
  remote: string;
}

/** Every request a simulated camera saw, so tests can prove a probe changed nothing. */
export class RequestJournal {
  readonly #entries: SimRequest[] = [];

  constructor(private readonly limit = 10_000) {}

  record(entry: Omit<SimRequest, "tsMs">): void {
    this.#entries.push({ tsMs: Date.now(), ...entry });
    if (this.#entries.length > this.limit)
      this.#entries.splice(0, this.#entries.length - this.limit);
  }

  entries(): readonly SimRequest[] {
    return this.#entries;
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
