import { execFile } from "node:child_process";
import notify from "systemd-notify";
import winston, { type Logger } from "winston";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { countOf } from "../../protocol/countOf.js";

/** Options of a ServiceNotifier. */
export interface ServiceNotifierOptions {
  /** Environment holding NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where a failed notification is reported (once, as a warning). Default: nowhere. */
  logger?: Logger;
  /** The models whose states STATUS= mirrors. Default: none ("ready: 0 models, 0 active"). */
  models?: () => ModelStatus[];
  /** How often the models are polled for a changed STATUS=, in ms. Default 1000. */
  pollMs?: number;
  /**
   * While a model loads, EXTEND_TIMEOUT_USEC is sent every third of this, asking for this much
   * more time, in ms: a daemon stopping while a 70B load runs must wait for it (an engine load
   * cannot be interrupted), and TimeoutStopSec would otherwise kill it. Default 30000.
   */
  extendTimeoutMs?: number;
}

/**
 * Tells systemd how ntd is doing (sd_notify(3)): READY=1 once the socket listens, STATUS= as the
 * models change, EXTEND_TIMEOUT_USEC= while a load runs, WATCHDOG=1 every half WATCHDOG_USEC,
 * STOPPING=1 when shutting down. Does nothing outside systemd (NOTIFY_SOCKET unset).
 *
 * Node cannot send datagrams on a Unix socket, so every message goes through the
 * `systemd-notify` binary: READY and STATUS through the npm package systemd-notify, the rest
 * (which that package has no options for) as `systemd-notify VAR=VALUE` arguments. Messages
 * then come from a child process, not ntd's main PID: ntd.service needs NotifyAccess=all.
 * They are sent one at a time, in order, so STOPPING=1 never overtakes READY=1.
 */
export class ServiceNotifier {
  readonly #options: ServiceNotifierOptions;
  readonly #logger: Logger;
  readonly #enabled: boolean;
  readonly #timers: NodeJS.Timeout[] = [];
  #queue: Promise<void> = Promise.resolve();
  #lastStatus: string | undefined;
  #lastExtendMs = 0;
  #state: "starting" | "ready" | "stopping" = "starting";
  #warned = false;

  constructor(options: ServiceNotifierOptions = {}) {
    this.#options = options;
    this.#logger = options.logger ?? winston.createLogger({ silent: true });
    const env = options.env ?? process.env;
    this.#enabled = Boolean(env.NOTIFY_SOCKET);
    if (!this.#enabled) return;
    // sd_watchdog_enabled(3): the watchdog is meant for this process when WATCHDOG_PID is unset or
    // is our PID; pinging at half the interval is the recommended margin.
    const watchdogUsec = Number(env.WATCHDOG_USEC);
    if (watchdogUsec > 0 && (!env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid)) {
      this.#every(watchdogUsec / 2000, () => this.#send(["WATCHDOG=1"]));
    }
  }

  /** Whether ntd runs under systemd with a notification socket. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** READY=1 with the first STATUS=; call once the socket listens. Starts polling the models. */
  ready(): Promise<void> {
    if (!this.#enabled || this.#state !== "starting") return this.#queue;
    this.#state = "ready";
    const status = this.#statusText();
    this.#lastStatus = status;
    this.#enqueue(() => notify({ ready: true, status }).then(() => {}));
    this.#every(this.#options.pollMs ?? 1000, () => this.#poll());
    return this.#queue;
  }

  /** STOPPING=1 and a last STATUS=; stops the timers but for the watchdog (systemd still watches while stopping). */
  stopping(): Promise<void> {
    if (!this.#enabled || this.#state === "stopping") return this.#queue;
    this.#state = "stopping";
    this.#lastStatus = "stopping";
    this.#send(["STOPPING=1", "STATUS=stopping"]);
    return this.#queue;
  }

  /** Stops every timer; messages already queued are still sent. */
  dispose(): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
  }

  /** Sends a changed STATUS=, and EXTEND_TIMEOUT_USEC= while a model loads (also while stopping). */
  #poll(): void {
    const models = this.#options.models?.() ?? [];
    const extendMs = this.#options.extendTimeoutMs ?? 30_000;
    if (models.some((model) => model.state === "loading") && Date.now() - this.#lastExtendMs >= extendMs / 3) {
      this.#lastExtendMs = Date.now();
      this.#send([`EXTEND_TIMEOUT_USEC=${Math.round(extendMs * 1000)}`]);
    }
    if (this.#state !== "ready") return;
    const status = this.#statusText();
    if (status === this.#lastStatus) return;
    this.#lastStatus = status;
    this.#enqueue(() => notify({ status }).then(() => {}));
  }

  #statusText(): string {
    return serviceStatusText(this.#options.models?.() ?? []);
  }

  /** Sends assignments the package has no option for: `systemd-notify VAR=VALUE…`, no shell. */
  #send(assignments: string[]): void {
    this.#enqueue(() => new Promise<void>((resolve, reject) => {
      execFile("systemd-notify", assignments, (err) => (err ? reject(err) : resolve()));
    }));
  }

  #enqueue(send: () => Promise<void>): void {
    this.#queue = this.#queue.then(send).catch((err: unknown) => {
      if (this.#warned) return;
      this.#warned = true;
      this.#logger.warn(`cannot notify systemd (further failures are not logged): ${String(err)}`);
    });
  }

  #every(ms: number, tick: () => void): void {
    const timer = setInterval(tick, ms);
    // Notifications must never keep a stopping daemon alive.
    timer.unref();
    this.#timers.push(timer);
  }
}

/**
 * The one line systemd shows for ntd (`systemctl status ntd`, "Status:"), from the models' states:
 * "loading llama-70b 43 %" while a load runs (the first, and how many more), otherwise
 * "ready: 1 model, 2 active" (and "3 queued" when requests wait).
 */
export function serviceStatusText(models: readonly ModelStatus[]): string {
  const loading = models.filter((model) => model.state === "loading");
  const first = loading[0];
  if (first) {
    const { done = 0, total = 0 } = first.progress ?? {};
    const percent = total > 0 ? ` ${Math.floor((100 * done) / total)} %` : "";
    return `loading ${first.name}${percent}${loading.length > 1 ? ` (+${loading.length - 1} more)` : ""}`;
  }
  const loaded = models.filter((model) => model.state === "loaded");
  const active = models.reduce((sum, model) => sum + model.active, 0);
  const queued = models.reduce((sum, model) => sum + model.queued, 0);
  const failed = models.filter((model) => model.state === "failed").length;
  return `ready: ${countOf(loaded.length, "model")}, ${active} active`
    + (queued > 0 ? `, ${queued} queued` : "") + (failed > 0 ? `, ${failed} failed` : "");
}
