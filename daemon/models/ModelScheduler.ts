import { performance } from "node:perf_hooks";
import type { Logger } from "winston";
import { NtError } from "../../protocol/NtError.js";
import { parseKeepAlive } from "../../protocol/parseKeepAlive.js";
import type { KeepAlive } from "../../protocol/verbs/keepAlive.js";
import type { ModelEntry } from "./ModelEntry.js";
import type { ModelTable } from "./ModelTable.js";
import { countOf } from "../../protocol/countOf.js";

/** The residency limits (ModelRegistryOptions documents each, with its default). */
export interface ResidencyLimits {
  defaultKeepAlive?: KeepAlive;
  maxLoadedModels?: number;
  maxSequences?: number;
  maxQueue?: number;
}

/**
 * Residency, in one place (as Ollama's server/sched.go): which models stay loaded, which one is
 * evicted to make room (the least recently used idle one, under maxLoadedModels), when an idle
 * model's keep-alive unloads it, when a request is refused (maxSequences running plus maxQueue
 * waiting per model), how a model is unloaded, and what happens when the engine reports a loaded
 * model failed. ModelRegistry asks it at each load, lookup and request; the table it works on
 * only finds entries.
 */
export class ModelScheduler {
  readonly #table: ModelTable;
  readonly #logger: Logger;
  #defaultKeepAliveMs = parseKeepAlive("5m");
  #maxLoadedModels = 3;
  #maxSequences = 4;
  #maxQueue = 16;

  constructor(table: ModelTable, logger: Logger, limits: ResidencyLimits) {
    this.#table = table;
    this.#logger = logger;
    if (limits.maxSequences !== undefined) this.#maxSequences = positiveInt(limits.maxSequences, "maxSequences");
    this.configure(limits);
  }

  /** Sequences one model generates at once: passed to the engine at load (fixed for the daemon's life). */
  get maxSequences(): number {
    return this.#maxSequences;
  }

  /**
   * Applies reloaded limits (SIGHUP): the default keep-alive and the model count to later loads
   * (models held keep theirs, nothing is unloaded to meet a lower count), the queue limit at once
   * to every model. The sequence count is fixed at start. Fields left out keep their value.
   */
  configure(limits: Omit<ResidencyLimits, "maxSequences">): void {
    if (limits.defaultKeepAlive !== undefined) this.#defaultKeepAliveMs = parseKeepAlive(limits.defaultKeepAlive);
    if (limits.maxLoadedModels !== undefined) this.#maxLoadedModels = positiveInt(limits.maxLoadedModels, "maxLoadedModels");
    if (limits.maxQueue !== undefined) this.#maxQueue = Math.max(0, Math.floor(limits.maxQueue));
  }

  /** A request's keep-alive in ms; undefined when it gave none. */
  keepAliveMs(keepAlive: KeepAlive | undefined): number | undefined {
    return keepAlive === undefined ? undefined : parseKeepAlive(keepAlive);
  }

  /** The keep-alive a new load starts with: the one it asked for, else the daemon's default. */
  initialKeepAliveMs(keepAlive: KeepAlive | undefined): number {
    return this.keepAliveMs(keepAlive) ?? this.#defaultKeepAliveMs;
  }

  /**
   * Whether a model takes one more generation: refused at once with NT_E_BUSY when it already
   * has maxSequences + maxQueue in flight (a client should retry later rather than wait unboundedly).
   */
  admit(name: string, inFlight: number): void {
    if (inFlight < this.#maxSequences + this.#maxQueue) return;
    throw new NtError("NT_E_BUSY",
      `model ${name} has ${countOf(inFlight, "request")} in flight, its limit (running plus queued); try again later`);
  }

  /**
   * Makes room for one more model under maxLoadedModels: starts unloading the least recently used
   * loaded model with no request in flight, and returns it (the new load awaits its end), or
   * nothing when there is room. NT_E_BUSY when every model held is loading or busy.
   */
  makeRoom(forName: string): ModelEntry | undefined {
    const held = this.#table.values().filter((e) => !e.unloaded && (e.state === "loading" || e.state === "loaded"));
    if (held.length < this.#maxLoadedModels) return undefined;
    const idle = held.filter((e) => e.state === "loaded" && e.model?.inFlight === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    const victim = idle[0];
    if (!victim) {
      throw new NtError("NT_E_BUSY", `cannot load ${forName}: ntd holds ${countOf(held.length, "model")} (its maximum) and `
        + "every one is loading or has requests in flight; try again later, or unload one");
    }
    this.#logger.info(`unloading ${victim.name}, the least recently used idle model, to make room for ${forName}`);
    void this.unload(victim, new NtError("NT_E_CANCELLED", `model ${victim.name} was unloaded to make room for ${forName}`))
      .catch((err: unknown) => this.#logger.error(`unloading ${victim.name} failed: ${NtError.from(err).message}`));
    return victim;
  }

  /** A load or lookup of a model held: takes the caller's keep-alive, if it gave one, and counts as a use. */
  use(entry: ModelEntry, keepAliveMs: number | undefined): void {
    if (keepAliveMs !== undefined) entry.keepAliveMs = keepAliveMs;
    this.onActivity(entry);
  }

  /** A use of the model (a generation started or ended, a lookup): restarts or stops its keep-alive timer. */
  onActivity(entry: ModelEntry): void {
    entry.lastUsed = performance.now();
    const { model } = entry;
    if (entry.state !== "loaded" || entry.unloaded || !model) return;
    if (model.inFlight > 0) entry.cancelExpiry();
    else entry.scheduleExpiry(() => this.#expire(entry));
  }

  /**
   * Unloads an entry: its requests fail with `reason`, then its memory is freed and the entry
   * leaves the table. A model still loading is unloaded when its load ends; a failed entry just
   * goes (once its memory is freed, for a model that failed after loading).
   */
  unload(entry: ModelEntry, reason: NtError): Promise<void> {
    if (entry.state === "failed") {
      // Nothing is held, or the failed model is being freed already: the entry just goes.
      this.#table.remove(entry);
      return entry.unloaded ?? Promise.resolve();
    }
    entry.cancelExpiry();
    // Said at once for a loaded model, so `status` right after an unload request shows it.
    if (entry.state === "loaded") entry.state = "unloading";
    entry.unloaded ??= (async () => {
      const model = await entry.ready.catch(() => undefined);
      if (!model) {
        // The load failed after the unload was asked for: nothing is held, and the failure is
        // not kept (the caller wanted the model gone, and a later load must not find this entry).
        this.#table.remove(entry);
        return;
      }
      entry.state = "unloading";
      entry.cancelExpiry();
      try {
        await model.dispose(reason);
        this.#logger.info(`unloaded ${entry.name}`);
      } finally {
        this.#table.remove(entry);
      }
    })();
    return entry.unloaded;
  }

  /**
   * The engine reports the loaded model failed (a forward pass hit an I/O, CUDA or memory error;
   * it computes nothing more): the entry turns "failed" as a failed load does, so status says why
   * and the next load of the file starts afresh; the model's other requests end with the same
   * error and its memory is freed. Other models are untouched.
   */
  onModelFailure(entry: ModelEntry, failure: NtError): void {
    const { model } = entry;
    // Being unloaded already (which frees it), or the entry now holds another model.
    if (entry.state !== "loaded" || entry.unloaded || !model || model.disposed) return;
    this.#logger.error(`model ${entry.name} failed: ${failure.message} [${failure.code}]`);
    const freed = model.dispose(failure).then(
      () => void this.#logger.info(`freed failed model ${entry.name}`),
      (err: unknown) => void this.#logger.error(`freeing failed model ${entry.name} failed: ${NtError.from(err).message}`));
    entry.markFailed(failure, freed);
  }

  /** The keep-alive timer fired: unloads the model unless a request started since. */
  #expire(entry: ModelEntry): void {
    if (entry.state !== "loaded" || entry.unloaded || (entry.model?.inFlight ?? 0) > 0) return;
    this.#logger.info(`unloading ${entry.name}: idle for its keep-alive`);
    this.unload(entry, new NtError("NT_E_CANCELLED", `model ${entry.name} was unloaded: its keep-alive expired`))
      .catch((err: unknown) => this.#logger.error(`unloading ${entry.name} failed: ${NtError.from(err).message}`));
  }
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new NtError("NT_E_BAD_REQUEST", `${what} must be a positive integer, not ${value}`);
  return value;
}
