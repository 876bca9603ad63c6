import { isDeepStrictEqual } from "node:util";
import winston, { type Logger } from "winston";
import { NtError } from "../../protocol/NtError.js";
import type { DaemonConfig } from "./daemonConfigSchema.js";
import { resolveDaemonConfig, type DaemonConfigSources } from "./resolveDaemonConfig.js";

/**
 * Keys a running daemon applies at once when the configuration is reloaded: the log level, and
 * values read afresh at each load or request. The others (socket, HTTP address, log format) are
 * bound when the daemon starts; a change to them is logged as needing a restart and not applied.
 */
const LIVE_KEYS: ReadonlySet<keyof DaemonConfig> = new Set([
  "logLevel", "keepAlive", "maxLoadedModels", "queueLimit", "threads", "contextSize",
  "backend", "vramBudget", "pinnedBudget", "dualPath", "chatTemplate", "kvType", "httpApiKey", "httpAllowedHosts", "httpAllowedOrigins",
  "helperSocket",
]);

/** Keys whose values are never written to the log, not even on a reload that changes them. */
const SECRET_KEYS: ReadonlySet<keyof DaemonConfig> = new Set(["httpApiKey"]);

/** Gets the configuration after a reload changed a live key, and the one before. */
export type ConfigChangeListener = (config: Readonly<DaemonConfig>, previous: Readonly<DaemonConfig>) => void;

/** What one reload did. */
export interface ConfigReloadResult {
  /** Keys whose new value is now in effect. */
  applied: (keyof DaemonConfig)[];
  /** Keys whose value changed but takes a restart; `current` keeps the old value. */
  needRestart: (keyof DaemonConfig)[];
}

/**
 * The daemon's configuration while it runs: what the sources said at start, re-read by reload()
 * (on SIGHUP) with the same environment and flags, so those still win over the file. Readers
 * take `current` when they need a value, or subscribe with onChange to react to a reload.
 */
export class LiveConfig {
  readonly #sources: DaemonConfigSources;
  #logger: Logger = winston.createLogger({ silent: true });
  readonly #listeners = new Set<ConfigChangeListener>();
  #current: Readonly<DaemonConfig>;

  private constructor(sources: DaemonConfigSources, config: DaemonConfig) {
    this.#sources = sources;
    this.#current = Object.freeze(config);
  }

  /** Reads the configuration from `sources` (see resolveDaemonConfig); throws what it throws. */
  static async load(sources: DaemonConfigSources): Promise<LiveConfig> {
    return new LiveConfig(sources, await resolveDaemonConfig(sources));
  }

  /** The configuration in effect. */
  get current(): Readonly<DaemonConfig> {
    return this.#current;
  }

  /**
   * Where reload() reports. Default: nowhere. Set after load(), since the daemon's logger is
   * built from this very configuration.
   */
  set logger(logger: Logger) {
    this.#logger = logger;
  }

  /** Calls `listener` after each reload that changed a live key, until the returned function is called. */
  onChange(listener: ConfigChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Re-reads every source and applies the live keys that changed; logs each change, and each
   * change that needs a restart. A source that no longer validates leaves the configuration as it
   * was (a bad edit must not take a running daemon down) and is logged and rethrown.
   */
  async reload(): Promise<ConfigReloadResult> {
    const logger = this.#logger;
    let fresh: DaemonConfig;
    try {
      fresh = await resolveDaemonConfig(this.#sources);
    } catch (err) {
      logger.error(`configuration not reloaded, keeping the current one: ${NtError.from(err).message}`);
      throw err;
    }
    const previous = this.#current;
    const next: DaemonConfig = { ...previous };
    const result: ConfigReloadResult = { applied: [], needRestart: [] };
    for (const key of Object.keys(fresh) as (keyof DaemonConfig)[]) {
      if (isDeepStrictEqual(fresh[key], previous[key])) continue;
      const change = SECRET_KEYS.has(key) ? `${key}: changed (value not logged)`
        : `${key}: ${JSON.stringify(previous[key])} -> ${JSON.stringify(fresh[key])}`;
      if (LIVE_KEYS.has(key)) {
        (next as Record<string, unknown>)[key] = fresh[key];
        result.applied.push(key);
        logger.info(`configuration reloaded: ${change}`);
      } else {
        result.needRestart.push(key);
        logger.warn(`configuration reloaded: ${change} needs a restart of ntd; keeping ${SECRET_KEYS.has(key) ? "the value in effect" : JSON.stringify(previous[key])}`);
      }
    }
    if (result.applied.length === 0 && result.needRestart.length === 0) logger.info("configuration reloaded: nothing changed");
    if (result.applied.length === 0) return result;
    this.#current = Object.freeze(next);
    for (const listener of this.#listeners) listener(this.#current, previous);
    return result;
  }
}
