/** What one timed run of a benchmark cost this process. */
export interface Figures {
  seconds: number;
  cpuSeconds: number;
  rssMiB: number;
}

export async function measure(work: () => Promise<void>): Promise<Figures> {
  const cpu = process.cpuUsage();
  const began = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return {
    seconds: (performance.now() - began) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
  };
}

export const median = (numbers: number[]): number =>
  [...numbers].sort((a, b) => a - b)[numbers.length >> 1] ?? 0;
