import { CamgateError, ExitCode } from "../errors.js";

/** One problem found in a configuration, located as precisely as the sources allow. */
export interface ConfigIssue {
  /** Dotted key path, e.g. "storage.maxBytes"; "" for the whole document. */
  path: string;
  message: string;
  /** Where the offending value came from. */
  source:
    { kind: "file"; file: string; line?: number; column?: number } | { kind: "env"; name: string };
}

export function formatIssue(issue: ConfigIssue): string {
  const key = issue.path === "" ? "(document)" : issue.path;
  if (issue.source.kind === "env") {
    return issue.path === ""
      ? `${issue.source.name}: ${issue.message}`
      : `${issue.source.name} (${key}): ${issue.message}`;
  }
  const { file, line, column } = issue.source;
  const where =
    line === undefined ? file : `${file}:${line}${column === undefined ? "" : `:${column}`}`;
  return `${where}: ${key}: ${issue.message}`;
}

/** The configuration was refused; every issue found is listed, not only the first. */
export class ConfigError extends CamgateError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((issue) => `  ${formatIssue(issue)}`).join("\n");
    super(
      `invalid configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines}`,
      {
        ...options,
        exitCode: ExitCode.config,
      },
    );
    this.issues = issues;
  }
}

/** The configuration exists but this user may not read it: a permission problem, not a bad file. */
export class ConfigAccessError extends CamgateError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.config });
  }
}
