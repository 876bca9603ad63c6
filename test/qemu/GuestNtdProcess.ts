import { spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ntdMain = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", ".."), "daemon", "main.js");

/** Options of one ntd run in the guest. */
export interface GuestNtdOptions {
  /** The unprivileged uid (and gid) it runs as: ntd never runs as root. */
  uid: number;
  /** Its own folder (created, owned by uid): the socket and HOME. */
  dir: string;
  /** nt-nvme-helper's socket (--helper-socket). */
  helperSocket: string;
  /** How long to wait for "listening", in ms. Default 120000 (TCG is slow). */
  startTimeoutMs?: number;
}

/**
 * The real ntd (dist/daemon/main.js) in the QEMU guest as an unprivileged user, as its service
 * runs it (without systemd here): its socket in `dir`, the helper's socket given. Resolves once it
 * listens; stop() ends it with SIGTERM.
 */
export class GuestNtdProcess {
  readonly socketPath: string;
  readonly #child: ChildProcess;
  #output = "";

  private constructor(child: ChildProcess, socketPath: string) {
    this.#child = child;
    this.socketPath = socketPath;
    child.stderr?.on("data", (chunk: Buffer) => { this.#output += chunk.toString(); });
    child.stdout?.on("data", (chunk: Buffer) => { this.#output += chunk.toString(); });
  }

  static async start(options: GuestNtdOptions): Promise<GuestNtdProcess> {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    chownSync(options.dir, options.uid, options.uid);
    const socketPath = path.join(options.dir, "ntd.sock");
    const child = spawn(process.execPath, [ntdMain, "--socket", socketPath, "--socket-mode", "0600", "--socket-group", "",
      "--helper-socket", options.helperSocket, "--log-format", "text"], {
      uid: options.uid, gid: options.uid, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const ntd = new GuestNtdProcess(child, socketPath);
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ntd did not listen within ${timeoutMs} ms: ${ntd.output}`)), timeoutMs);
      const poll = setInterval(() => {
        if (!ntd.output.includes("listening on")) return;
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }, 50);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`ntd exited (${code ?? signal}) before listening: ${ntd.output}`));
      });
    });
    return ntd;
  }

  /** Everything ntd logged so far. */
  get output(): string {
    return this.#output;
  }

  /** SIGKILL (a crash: no shutdown path runs), then waits for it to exit. */
  async kill(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  /** SIGTERM, then waits for it to exit. */
  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.kill(signal);
    await exited;
  }
}
