import { performance } from "node:perf_hooks";
import { NtError } from "../../protocol/NtError.js";
import type { LoadOptions } from "../../protocol/verbs/loadOptions.js";
import type { StorageBackend } from "../../protocol/verbs/storageBackend.js";
import type { LoadedModel } from "./LoadedModel.js";

/**
 * Where a model is in its life. A model not held is "unloaded" and has no entry; a failed load,
 * or a loaded model the engine reports failed (a forward pass hit an I/O, CUDA or memory error),
 * keeps its entry (state "failed", with the error) so `status` can say why, until the next load
 * of that file or name, or an unload.
 */
export type ModelState = "loading" | "loaded" | "unloading" | "failed";

/** How a model was asked for: what a reload with other options starts from. */
export interface LoadRequest {
  /** What resolves to the model's source: the file's path, or with storage "raw" or "vfio" the image's name. */
  reference: string;
  storage: StorageBackend;
  /** The load options the load gave itself (a reload keeps those a request does not change). */
  given: LoadOptions;
  /** The load options the engine got: the load's own, else the daemon's defaults at that time. */
  effective: LoadOptions;
}

/** Gets load progress: bytes of weights read so far, of total. */
export type LoadProgressListener = (done: number, total: number) => void;

/**
 * The registry's record of one model file: its name, state and load progress, the load that
 * every request for it shares, and its keep-alive timer. Created when the first load of the file
 * starts.
 */
export class ModelEntry {
  readonly name: string;
  /** The file's canonical absolute path, or an image's "raw:<bdf>/<name>" or "vfio:<bdf>/<name>": the registry's key. */
  readonly path: string;
  /** Paths as requests gave them that resolved to this file (through symlinks), for lookups. */
  readonly aliases = new Set<string>();
  /** How it was asked for. */
  readonly request: LoadRequest;
  state: ModelState = "loading";
  /** Bytes of weights read, of total; both 0 until the engine reports. */
  readonly progress = { done: 0, total: 0 };
  /** The model, once loaded. */
  model: LoadedModel | undefined;
  /** Why the load, or the loaded model, failed, once state is "failed". */
  error: NtError | undefined;
  /** Whether the model failed after it loaded (the engine's failure) rather than in its load. */
  failedAfterLoad = false;
  /** Settles when the load ends; every caller waiting for this model awaits it. */
  readonly ready: Promise<LoadedModel>;
  /** Settles when the model has been unloaded, once unloading started. */
  unloaded: Promise<void> | undefined;
  /** How long the model stays loaded once idle, in ms; 0: unload when idle; Infinity: never. */
  keepAliveMs: number;
  /** When the keep-alive timer fires (Date.now() ms); null: never; undefined: no timer runs (busy, loading). */
  expiresAt: number | null | undefined;
  /** performance.now() of the last use (load, lookup, generation start or end): the LRU order of eviction. */
  lastUsed = performance.now();
  readonly #listeners = new Set<LoadProgressListener>();
  #timer: NodeJS.Timeout | undefined;
  /** performance.now() when the timer should fire. */
  #deadline = 0;

  constructor(name: string, path: string, request: LoadRequest, keepAliveMs: number,
    load: (onProgress: LoadProgressListener) => Promise<LoadedModel>) {
    this.name = name;
    this.path = path;
    this.request = request;
    this.keepAliveMs = keepAliveMs;
    this.aliases.add(path);
    this.ready = load((done, total) => this.#onProgress(done, total)).then((model) => {
      this.model = model;
      this.state = "loaded";
      this.lastUsed = performance.now();
      return model;
    }, (err: unknown) => {
      this.error = NtError.from(err);
      this.state = "failed";
      throw this.error;
    });
    this.ready.finally(() => this.#listeners.clear()).catch(() => {
      // Load failures reach the requests through `ready`; this chain only clears the listeners.
    });
  }

  /**
   * The loaded model failed: the entry turns "failed" as a failed load does, without its model or
   * keep-alive timer. `freed` (which must not reject) settles once the model's memory is freed;
   * until then it is `unloaded`, so a new load of the file waits for that memory rather than
   * competing with it, and then replaces this entry.
   */
  markFailed(error: NtError, freed: Promise<void>): void {
    this.cancelExpiry();
    this.state = "failed";
    this.error = error;
    this.failedAfterLoad = true;
    this.model = undefined;
    const unloaded: Promise<void> = freed.finally(() => {
      if (this.unloaded === unloaded) this.unloaded = undefined;
    });
    this.unloaded = unloaded;
  }

  /** Adds a progress listener until the returned function is called (or the load ends). */
  listen(listener: LoadProgressListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * (Re)starts the keep-alive timer from now; `expire` runs when it fires. Only for a loaded
   * model with no request in flight: the caller checks, and `expire` checks again, since a
   * request may have started in between.
   */
  scheduleExpiry(expire: () => void): void {
    this.cancelExpiry();
    if (this.keepAliveMs === Infinity) {
      this.expiresAt = null;
      return;
    }
    this.expiresAt = Date.now() + this.keepAliveMs;
    // The timer runs on the monotonic clock, so a change of the wall clock neither hastens nor delays it.
    this.#deadline = performance.now() + this.keepAliveMs;
    this.#arm(expire);
  }

  /** Stops the keep-alive timer: a request is in flight, or the model is being unloaded. */
  cancelExpiry(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.expiresAt = undefined;
  }

  /**
   * Waits until the deadline, then calls `expire`. setTimeout takes at most 2^31-1 ms (~24.8 days)
   * and fires at once beyond it, so a longer keep-alive waits in steps.
   */
  #arm(expire: () => void): void {
    const left = Math.max(0, this.#deadline - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#deadline - performance.now() > 1) return this.#arm(expire);
      expire();
    }, Math.min(left, 2 ** 31 - 1));
    // A keep-alive timer alone must not keep the process alive (an embedding program, a test).
    this.#timer.unref();
  }

  #onProgress(done: number, total: number): void {
    this.progress.done = done;
    this.progress.total = total;
    for (const listener of this.#listeners) listener(done, total);
  }
}
