import { loadavg, uptime } from "node:os";
import si from "systeminformation";
import { readDisk } from "../retention/index.js";

export interface SystemHealth {
  uptimeSeconds: number;
  processUptimeSeconds: number;
  cpu: { cores: number; load1: number; load5: number; load15: number; busyPercent: number };
  /** Main CPU temperature, where the board exposes one. */
  temperatureC: number | null;
  memory: { totalBytes: number; availableBytes: number; processRssBytes: number };
  /** The filesystem of the recordings; null while it cannot be read (not mounted, not made). */
  disk: { path: string; totalBytes: number; freeBytes: number } | null;
}

/** Telemetry of the box itself (systeminformation reads /proc and /sys; nothing is spawned). */
export class HealthSampler {
  constructor(private readonly storageDir: string) {}

  async sample(): Promise<SystemHealth> {
    const [load, temperature, memory] = await Promise.all([
      si.currentLoad(),
      si.cpuTemperature().catch(() => ({ main: null })),
      si.mem(),
    ]);
    const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
    let disk: SystemHealth["disk"] = null;
    try {
      disk = { path: this.storageDir, ...readDisk(this.storageDir) };
    } catch {
      // Reported as null: the rest of the figures matter all the more then.
    }
    return {
      uptimeSeconds: Math.round(uptime()),
      processUptimeSeconds: Math.round(process.uptime()),
      cpu: {
        cores: load.cpus.length,
        load1,
        load5,
        load15,
        busyPercent: Math.round(load.currentLoad * 10) / 10,
      },
      temperatureC: typeof temperature.main === "number" ? temperature.main : null,
      memory: {
        totalBytes: memory.total,
        availableBytes: memory.available,
        processRssBytes: process.memoryUsage.rss(),
      },
      disk,
    };
  }
}
