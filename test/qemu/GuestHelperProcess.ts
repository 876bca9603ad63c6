import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const helperMain = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", ".."), "nvme-helper", "main.js");

/** Options of one helper run in the guest. */
export interface GuestHelperOptions {
  socket: string;
  config: string;
  journal: string;
  /** A step name for NT_HELPER_TEST_CRASH_AT: the helper SIGKILLs itself right after it. */
  crashAt?: string;
  /** How long to wait for "serving" (the repair at start included), in ms. Default 120000 (TCG is slow). */
  startTimeoutMs?: number;
}

/**
 * The real nt-nvme-helper binary, started as the service would be, on the guest's real /sys,
 * /proc and /dev (the CLI's defaults): resolves once it serves, which is after its repair.
 */
export class GuestHelperProcess {
  readonly #child: ChildProcess;
  #stderr = "";
  readonly #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.#exit = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  static async start(options: GuestHelperOptions): Promise<GuestHelperProcess> {
    const env = { ...process.env, NT_HELPER_TEST_CRASH_AT: options.crashAt ?? "" };
    const child = spawn(process.execPath, [helperMain, "--socket", options.socket, "--config", options.config, "--journal", options.journal],
      { env, stdio: ["ignore", "ignore", "pipe"] });
    const helper = new GuestHelperProcess(child);
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the helper did not serve within ${timeoutMs} ms: ${helper.stderr}`)), timeoutMs);
      const onData = () => {
        if (!helper.stderr.includes("serving")) return;
        clearTimeout(timer);
        child.stderr?.off("data", onData);
        resolve();
      };
      child.stderr?.on("data", onData);
      void helper.#exit.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the helper exited (${code ?? signal}) before serving: ${helper.stderr}`));
      });
    });
    return helper;
  }

  /** Everything the helper wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the signal that ended the helper (null for a plain exit), or rejects after `timeoutMs`. */
  exited(timeoutMs = 30_000): Promise<NodeJS.Signals | null> {
    return withTimeout(this.#exit.then(({ signal }) => signal), timeoutMs, "the helper to exit");
  }

  /** SIGKILL: the helper dies with whatever it holds (a data-plane session), as a crash would. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
    await this.exited();
  }

  /** SIGTERM (the helper closes its socket and exits 0), then waits for the exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGTERM");
    await this.exited();
  }
}

/** `promise`, or a rejection naming `what` after `ms`: every wait in the guest is bounded. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
