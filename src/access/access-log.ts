import type { AgentEvents } from "../agent-events.js";
import type { EventBus } from "../lifecycle/index.js";
import type { AccessEntry, AccessRecord, Store } from "../store/index.js";

/** The agent's side of the hash-chained access log: each entry stored, then announced. */
export class AccessLog {
  constructor(
    private readonly store: Pick<Store, "repos">,
    private readonly bus: EventBus<AgentEvents>,
  ) {}

  append(entry: AccessEntry): AccessRecord {
    const record = this.store.repos.accessLog.append(entry);
    this.bus.emit("accessLogged", { seq: record.seq });
    return record;
  }
}
