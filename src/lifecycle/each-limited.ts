/**
 * Runs `work` on every item, at most `limit` at a time, starting them in the items' order. A
 * worker that finishes one item takes the next, so a slow item holds up one slot, not a batch.
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++)
      await work(items[index] as T, index);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
