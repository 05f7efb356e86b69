import { createInterface, type Interface } from "node:readline/promises";
import { Writable } from "node:stream";
import { CamgateError, ExitCode } from "../errors.js";

export class MissingAnswerError extends CamgateError {
  constructor(what: string) {
    super(`no answer for ${what}: give it in the answers file, or run on a terminal`, {
      exitCode: ExitCode.usage,
    });
  }
}

/** Asks the technician, or says that nobody can be asked (scripted runs). */
export interface Prompter {
  readonly interactive: boolean;
  /** The answer, or `fallback` on an empty line; `key` names it in the error of a scripted run. */
  ask(key: string, question: string, fallback?: string): Promise<string>;
  /** Not echoed on a terminal. */
  secret(key: string, question: string): Promise<string>;
  close(): void;
}

export class ScriptedPrompter implements Prompter {
  readonly interactive = false;

  ask(key: string, _question: string, fallback?: string): Promise<string> {
    if (fallback !== undefined) return Promise.resolve(fallback);
    return Promise.reject(new MissingAnswerError(key));
  }

  secret(key: string): Promise<string> {
    return Promise.reject(new MissingAnswerError(key));
  }

  close(): void {}
}

/** Questions on a terminal (or any stream, when forced), one line per answer. */
export class LinePrompter implements Prompter {
  readonly interactive = true;
  readonly #readline: Interface;
  #muted = false;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream & { isTTY?: boolean },
  ) {
    const echo = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        if (!this.#muted) output.write(chunk);
        done();
      },
    });
    this.#readline = createInterface({ input, output: echo, terminal: output.isTTY === true });
  }

  async ask(_key: string, question: string, fallback?: string): Promise<string> {
    const suffix = fallback ? ` [${fallback}]` : "";
    const answer = (await this.#readline.question(`${question}${suffix}: `)).trim();
    return answer === "" && fallback !== undefined ? fallback : answer;
  }

  async secret(_key: string, question: string): Promise<string> {
    this.output.write(`${question}: `);
    this.#muted = true;
    try {
      return await this.#readline.question("");
    } finally {
      this.#muted = false;
      this.output.write("\n");
    }
  }

  close(): void {
    this.#readline.close();
  }
}
