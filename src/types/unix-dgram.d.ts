// The parts of the untyped `unix-dgram` package that camgate and its tests use.
declare module "unix-dgram" {
  import { type EventEmitter } from "node:events";

  export interface UnixDgramSocket extends EventEmitter {
    bind(path: string): void;
    send(
      buffer: Buffer,
      offset: number,
      length: number,
      path: string,
      callback?: (error?: Error) => void,
    ): void;
    close(): void;
  }

  export function createSocket(
    type: "unix_dgram",
    listener?: (message: Buffer, info: { size: number; path?: string }) => void,
  ): UnixDgramSocket;

  const unixDgram: { createSocket: typeof createSocket };
  export default unixDgram;
}
