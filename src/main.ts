#!/usr/bin/env node
import { runCli } from "./cli/program.js";

const code = await runCli(process.argv, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
