import { CamgateError } from "../errors.js";

/** A simulated camera could not listen where it should; the message says why and what to do. */
export class SimBindError extends CamgateError {}

export function explainBindError(address: string, port: number, error: unknown): SimBindError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${address}:${port}`;
  const message =
    code === "EACCES"
      ? `cannot listen on ${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE ` +
        `(sudo setcap cap_net_bind_service=+ep "$(command -v node)", or run with --unprivileged)`
      : code === "EADDRINUSE"
        ? `cannot listen on ${where}: the address is already in use (another simulator, or a real service?)`
        : code === "EADDRNOTAVAIL"
          ? `cannot listen on ${where}: the address is not configured on this machine`
          : `cannot listen on ${where}: ${(error as Error).message}`;
  return new SimBindError(message, { cause: error });
}
