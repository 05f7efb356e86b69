import { Option } from "commander";
import type { Config } from "../config/index.js";
import { CamgateError, ExitCode } from "../errors.js";
import { CredentialVault, type Credentials, Inventory } from "../discovery/index.js";
import type { Logger } from "../log/index.js";
import { SecretSealer } from "../pki/index.js";
import { LinePrompter } from "../provision/prompter.js";
import { type Repositories, Store } from "../store/index.js";
import type { CliContext } from "./context.js";

/** Opens the store for one CLI command and closes it afterwards. */
export async function withStore<T>(
  config: Config,
  logger: Logger,
  work: (repos: Repositories) => Promise<T> | T,
): Promise<T> {
  const store = new Store(config.store.path, logger.child({ component: "store" }));
  try {
    return await work(store.open());
  } finally {
    store.close();
  }
}

/** Opens what camera commands need (store, inventory, vault), and closes the store afterwards. */
export async function withInventory<T>(
  config: Config,
  logger: Logger,
  work: (access: {
    repos: Repositories;
    inventory: Inventory;
    vault: CredentialVault;
  }) => Promise<T> | T,
): Promise<T> {
  return withStore(config, logger, async (repos) => {
    const sealer = await SecretSealer.open(config.secrets.keyFile);
    return work({
      repos,
      inventory: new Inventory(repos),
      vault: new CredentialVault(repos, sealer),
    });
  });
}

/** `host`, `host:port` or a full device-service URL, as the technician typed it. */
export function deviceXAddr(target: string): string {
  if (/^https?:\/\//i.test(target)) return target;
  if (!/^[A-Za-z0-9.[\]:-]+$/.test(target)) throw new CamgateError(`not an address: ${target}`);
  return `http://${target}/onvif/device_service`;
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export interface CredentialFlags {
  user?: string;
  password?: string;
  passwordStdin?: boolean;
}

/**
 * `-u USER` and `--password-stdin`. A password is never taken as an argument: every local user
 * can read a command line (ps, /proc/PID/cmdline). `-p` stays only to say so.
 */
export const PASSWORD_STDIN_HELP = "read the password from standard input (asked, on a terminal)";

/** The hidden `-p`: refused with the reason, instead of commander's "unknown option". */
export function refusedPasswordOption(): Option {
  return new Option("-p, --password <password>").hideHelp();
}

/** -u with --password-stdin (or asked on a terminal); undefined when no user was given. */
export async function credentialsFrom(
  flags: CredentialFlags,
  ctx: CliContext,
): Promise<Credentials | undefined> {
  if (flags.password !== undefined)
    throw new CamgateError(
      "camgate takes no password on the command line, where other users can read it: " +
        "use --password-stdin (e.g. read -rs P; printf '%s' \"$P\" | camgate ... --password-stdin), " +
        "or leave it out on a terminal to be asked",
      { exitCode: ExitCode.usage },
    );
  if (flags.user === undefined) {
    if (flags.passwordStdin) throw new CamgateError("a password needs -u USER", { exitCode: 2 });
    return undefined;
  }
  if (flags.passwordStdin) return { username: flags.user, password: await readStdin(ctx.stdin) };
  if (ctx.stdin.isTTY !== true) return { username: flags.user, password: "" };
  const prompter = new LinePrompter(ctx.stdin, ctx.stderr);
  try {
    return {
      username: flags.user,
      password: await prompter.secret("password", `Password for ${flags.user}`),
    };
  } finally {
    prompter.close();
  }
}

/** The camera a technician named, by id or by its address; its id. */
export function resolveCamera(repos: Repositories, named: string): string {
  if (repos.cameras.get(named) || repos.segments.span(named)) return named;
  const byAddress = repos.cameras.list().filter((camera) => camera.ip === named);
  if (byAddress.length === 1) return (byAddress[0] as { id: string }).id;
  throw new CamgateError(
    byAddress.length > 1
      ? `${byAddress.length} cameras at ${named}: name one by its id (see camgate cameras list)`
      : `no camera ${named} (see camgate cameras list)`,
    { exitCode: ExitCode.usage },
  );
}
