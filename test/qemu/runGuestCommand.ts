import { spawnSync } from "node:child_process";

/** Options of one command run by the systemd proof in its guest. */
export interface GuestCommandOptions {
  /** Run as this user (and its group), through setpriv: no PAM, no login session. Default: root. */
  user?: string;
  /** Variables added to the environment. */
  env?: Record<string, string>;
  /** Killed (and counted as failed) after this long, in ms. Default 120000: TCG is slow. */
  timeoutMs?: number;
  /** Return a failed run's result instead of throwing. Default false. */
  allowFailure?: boolean;
}

/** How a command ended and what it printed. */
export interface GuestCommandResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `argv` (an argument vector, no shell) to its end and returns what it printed; throws, with
 * its output, when it does not exit 0 within the time limit (unless allowFailure).
 */
export function runGuestCommand(argv: string[], options: GuestCommandOptions = {}): GuestCommandResult {
  const user = options.user;
  const full = user === undefined ? argv : ["setpriv", `--reuid=${user}`, `--regid=${user}`, "--init-groups", "--", ...argv];
  const timeoutMs = options.timeoutMs ?? 120_000;
  // A user's command gets systemd's PATH for services and nothing of root's environment.
  const env = user === undefined ? { ...process.env, ...options.env } : { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin", HOME: "/", ...options.env };
  const run = spawnSync(full[0]!, full.slice(1), { env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 << 20 });
  if (run.error && (run.error as NodeJS.ErrnoException).code !== "ETIMEDOUT") throw run.error;
  const result = { status: run.status, signal: run.signal, stdout: run.stdout ?? "", stderr: run.stderr ?? "" };
  if (result.status !== 0 && !options.allowFailure) {
    const how = run.error ? `timed out after ${timeoutMs} ms` : `exited ${result.status ?? result.signal}`;
    throw new Error(`${full.join(" ")} ${how}: ${`${result.stderr}\n${result.stdout}`.trim().split("\n").slice(-12).join(" | ")}`);
  }
  return result;
}
