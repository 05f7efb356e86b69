#!/usr/bin/env node
// Whether dist/ is the build of the sources beside it, so that `npm prepare` (run by `npm ci`,
// `npm install` and the first `npx camgate`) builds only when something changed. Plain
// JavaScript with Node's own modules: it runs before anything is compiled.
//
//   node scripts/dist-freshness.js begin    the build starts: note the inputs as they are now
//   node scripts/dist-freshness.js finish   the build succeeded: dist/ is of those inputs
//   node scripts/dist-freshness.js check    say whether dist/ is current (exit 0) or not (exit 1)
//   node scripts/dist-freshness.js prepare  build (npm run build) unless dist/ is current
//
// `npm run build` and `npm test` always build; only `prepare` asks first.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join, relative, sep } from "node:path";
import process from "node:process";

/**
 * A line for whoever waits. `npx camgate` installs the project like a dependency, and npm hides
 * what a dependency's scripts print behind its spinner: there, the line goes to the terminal.
 */
function say(line) {
  process.stderr.write(`${line}\n`);
  if (process.env.npm_command !== "exec" || process.stderr.isTTY) return;
  try {
    const tty = openSync("/dev/tty", "w");
    writeSync(tty, `\r${line}\n`);
    closeSync(tty);
  } catch {
    // No terminal (a script, CI): the log above is all there is.
  }
}

/** What the build reads: a change to any of them (or a file added or removed) means a rebuild. */
const INPUTS = ["src", "scripts", "test", "tsconfig.json", "package.json", "package-lock.json"];
const STAMP = join("dist", ".build-stamp.json");
const PENDING = join("dist", ".build-stamp.pending.json");

/** Every file under the inputs of `root`: its newest modification and a digest of the names. */
function inputState(root) {
  const files = [];
  const visit = (path) => {
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else if (stat.isFile()) {
      files.push({ name: relative(root, path).split(sep).join("/"), mtimeMs: stat.mtimeMs });
    }
  };
  for (const input of INPUTS) visit(join(root, input));
  const newest = files.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a), {
    name: "",
    mtimeMs: 0,
  });
  const digest = createHash("sha256")
    .update(files.map((file) => file.name).join("\n"))
    .digest("hex");
  return { newestMs: newest.mtimeMs, newestFile: newest.name, files: files.length, digest };
}

/** Why dist/ must be built again, or undefined when it is the build of the current inputs. */
function staleness(root) {
  if (!existsSync(join(root, "dist"))) return "dist/ does not exist yet";
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), "utf8"));
  } catch {
    return "dist/ has no record of a finished build";
  }
  const now = inputState(root);
  if (typeof stamp.newestMs !== "number" || typeof stamp.digest !== "string")
    return "dist/ has no record of a finished build";
  if (now.digest !== stamp.digest)
    return "files were added, removed or renamed since the last build";
  if (now.newestMs > stamp.newestMs) return `${now.newestFile} changed since the last build`;
  return undefined;
}

function npmRunBuild(root) {
  // Under npm, npm_execpath is the npm that runs us (under npx, npx: then the npm on PATH).
  const npm = process.env.npm_execpath;
  const [command, args] =
    npm && /npm-cli\.[cm]?js$/.test(npm)
      ? [process.execPath, [npm, "run", "build"]]
      : ["npm", ["run", "build"]];
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function main(command, root) {
  switch (command) {
    case "begin":
      mkdirSync(join(root, "dist"), { recursive: true });
      writeFileSync(join(root, PENDING), `${JSON.stringify(inputState(root))}\n`);
      return 0;
    case "finish":
      renameSync(join(root, PENDING), join(root, STAMP));
      return 0;
    case "check": {
      const reason = staleness(root);
      process.stdout.write(reason ? `stale: ${reason}\n` : "current\n");
      return reason ? 1 : 0;
    }
    case "prepare": {
      const reason = staleness(root);
      if (!reason) {
        say("camgate: dist/ is current, not rebuilt (npm run build builds anyway)");
        return 0;
      }
      say(`camgate: building dist/ (${reason}); this takes about half a minute...`);
      const status = npmRunBuild(root);
      if (status === 0) say("camgate: built dist/");
      return status;
    }
    default:
      say("usage: node scripts/dist-freshness.js begin|finish|check|prepare");
      return 2;
  }
}

process.exitCode = main(process.argv[2], process.cwd());
