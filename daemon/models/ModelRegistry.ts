import { closeSync } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import winston, { type Logger } from "winston";
import type { EngineBinding, NativeModelOptions } from "../../cuda-engine/js/EngineBinding.js";
import { NtError } from "../../protocol/NtError.js";
import { parseKeepAlive } from "../../protocol/parseKeepAlive.js";
import type { KeepAlive } from "../../protocol/verbs/keepAlive.js";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { LOAD_OPTION_KEYS, type LoadOptions } from "../../protocol/verbs/loadOptions.js";
import { defaultHelperSocketPath } from "../../protocol/helper/defaultHelperSocketPath.js";
import { HelperImageSource } from "../storage/HelperImageSource.js";
import type { OpenedRawImage, RawImageSource } from "../storage/RawImageSource.js";
import { LoadedModel, type LoadedModelOptions } from "./LoadedModel.js";
import { ModelEntry, type LoadProgressListener } from "./ModelEntry.js";
import { modelStatusOf } from "./modelStatusOf.js";

/** Options of a ModelRegistry. */
export interface ModelRegistryOptions {
  /** Loads the engine addon (or throws NT_E_ENGINE_UNAVAILABLE); called at the first model load. Required. */
  loadEngine: () => EngineBinding;
  /** Where log lines go. Default: a logger that discards everything. */
  logger?: Logger;
  /** How long unloading waits for cancelled generations to end before freeing anyway, in ms. Default 5000. */
  cancelGraceMs?: number;
  /**
   * How long a model stays loaded after its last request, when neither its load nor its requests
   * say: a duration string ("5m", "30s", "1h"), seconds as a number, 0 (unload when idle) or
   * negative (never). Default "5m", as Ollama's OLLAMA_KEEP_ALIVE.
   */
  defaultKeepAlive?: KeepAlive;
  /**
   * Models held at once (loading or loaded). Loading one more first unloads the least recently
   * used model that has no request in flight; when every one is busy, the load fails with
   * NT_E_BUSY. Default 3, Ollama's default per GPU: each model keeps its own VRAM and pinned-memory
   * budget, so on a machine where one model's budgets fill the GPU, set 1.
   */
  maxLoadedModels?: number;
  /**
   * Sequences one model generates at once (continuous batching), passed to the engine at load.
   * Default 4, the engine's own default.
   */
  maxSequences?: number;
  /**
   * Requests per model that may wait for a free sequence beyond the maxSequences running; one
   * more `generate` or `chat` is refused at once with NT_E_BUSY. Default 16.
   */
  maxQueue?: number;
  /**
   * Load options for loads that do not give their own (from the daemon's configuration keys
   * contextSize, threads, backend, vramBudget, pinnedBudget). Default: none, so the engine's
   * defaults apply.
   */
  defaultLoad?: LoadOptions;
  /** Told the name and duration in seconds of every successful load (the load-duration metric). */
  onLoaded?: (name: string, seconds: number) => void;
  /**
   * Where loads with storage "raw" find and open their images. Default: nt-nvme-helper at
   * defaultHelperSocketPath() (ntd passes its helperSocket key).
   */
  rawImages?: RawImageSource;
}

/**
 * Options of one load: the protocol's load options (loadOptionsSchema), which apply to a new load
 * only (a model already held keeps its placement), and how this caller finds and waits for it.
 */
export interface ModelLoadOptions extends LoadOptions {
  /**
   * "file" (default): the reference is a file's path (or a loaded model's name); "raw": it is the
   * name of an image placed on a raw block device, found and opened through `rawImages`.
   */
  storage?: "file" | "raw";
  /** The name to load it under. Default: the file name without ".gguf"; for a raw image, its name. */
  name?: string;
  /**
   * How long the model stays loaded once idle; replaces the keep-alive of a model already held.
   * Default: the registry's defaultKeepAlive for a new load; unchanged for a model already held.
   */
  keepAlive?: KeepAlive;
  /** Gets load progress while this caller waits. */
  onProgress?: LoadProgressListener;
  /** Stops this caller's waiting (NT_E_CANCELLED); the load itself goes on for other callers. */
  signal?: AbortSignal;
}

/** Options of one lookup (ModelRegistry.get). */
export interface ModelUseOptions {
  /**
   * The keep-alive of the request the model is looked up for; it replaces the model's, and the
   * timer restarts from it when the request ends. Default: the model's keep-alive, unchanged.
   */
  keepAlive?: KeepAlive;
  /**
   * Loads the model when the reference is a path the daemon does not hold (as `ollama run`
   * does), with its progress going to onProgress. Default false: NT_E_MODEL_NOT_FOUND.
   */
  autoLoad?: boolean;
  /** Gets load progress while this caller waits for the model to load. */
  onProgress?: LoadProgressListener;
}

/**
 * The models the daemon holds, keyed by canonical file path (a raw image's by "raw:<bdf>/<name>"),
 * each also found by its name. Loading
 * a file already held answers with it; concurrent loads of one file share one engine load. Each
 * model has a keep-alive timer that runs while no request is in flight and unloads it when it
 * fires; at most maxLoadedModels are held (the least recently used idle one makes room); each
 * model takes at most maxSequences + maxQueue requests at once.
 */
export class ModelRegistry {
  readonly #options: ModelRegistryOptions;
  readonly #logger: Logger;
  #defaultKeepAliveMs: number;
  #maxLoadedModels: number;
  readonly #maxSequences: number;
  #maxQueue: number;
  #defaultLoad: LoadOptions;
  /** By canonical path, in the order the models were first asked for. */
  readonly #entries = new Map<string, ModelEntry>();
  readonly #rawImages: RawImageSource;
  /** Set once the daemon stops: every later request fails with it. */
  #closed: NtError | undefined;

  constructor(options: ModelRegistryOptions) {
    this.#options = options;
    this.#logger = options.logger ?? winston.createLogger({ silent: true });
    this.#defaultKeepAliveMs = parseKeepAlive(options.defaultKeepAlive ?? "5m");
    this.#maxLoadedModels = positiveInt(options.maxLoadedModels ?? 3, "maxLoadedModels");
    this.#maxSequences = positiveInt(options.maxSequences ?? 4, "maxSequences");
    this.#maxQueue = Math.max(0, Math.floor(options.maxQueue ?? 16));
    this.#defaultLoad = options.defaultLoad ?? {};
    this.#rawImages = options.rawImages ?? new HelperImageSource(() => defaultHelperSocketPath());
  }

  /**
   * Applies reloaded limits (SIGHUP): the default keep-alive applies to later loads (models held
   * keep theirs), the model count to later loads (nothing is unloaded to meet a lower one), and
   * the queue limit at once to every model, the default context size, threads, backend and budgets to later loads.
   * Fields left out keep their value.
   */
  configure(limits: Pick<ModelRegistryOptions, "defaultKeepAlive" | "maxLoadedModels" | "maxQueue" | "defaultLoad">): void {
    if (limits.defaultLoad !== undefined) this.#defaultLoad = limits.defaultLoad;
    if (limits.defaultKeepAlive !== undefined) this.#defaultKeepAliveMs = parseKeepAlive(limits.defaultKeepAlive);
    if (limits.maxLoadedModels !== undefined) this.#maxLoadedModels = positiveInt(limits.maxLoadedModels, "maxLoadedModels");
    if (limits.maxQueue !== undefined) {
      this.#maxQueue = Math.max(0, Math.floor(limits.maxQueue));
      for (const entry of this.#entries.values()) {
        if (entry.model) entry.model.maxInFlight = this.#maxSequences + this.#maxQueue;
      }
    }
  }

  /**
   * Loads a model by absolute path, or answers with one already held (by that path or by name).
   * Refuses relative paths (NT_E_BAD_REQUEST), missing files (NT_E_NOT_FOUND), names of models
   * not held (NT_E_MODEL_NOT_FOUND) and a load beyond maxLoadedModels when every model held is
   * busy (NT_E_BUSY); engine failures keep their code, and leave a "failed" entry.
   */
  async load(reference: string, options: ModelLoadOptions = {}): Promise<LoadedModel> {
    this.#assertOpen();
    if (options.storage === "raw") return this.#loadRawImage(reference, options);
    if (!isPathReference(reference)) {
      const keepAliveMs = options.keepAlive === undefined ? undefined : parseKeepAlive(options.keepAlive);
      const entry = this.#entryByName(reference);
      const model = await this.#await(entry, options);
      this.#use(entry, keepAliveMs);
      return model;
    }
    const file = await canonicalModelPath(reference);
    return this.#loadKeyed(file, reference, path.basename(file).replace(/\.gguf$/i, ""), options);
  }

  /**
   * A load with storage "raw": the image named `imageName` on the device the helper reports it
   * on, keyed "raw:<bdf>/<name>" (never a file path, which starts with "/"). The engine gets the
   * helper's fd with the image's offset and size; the fd is closed once the load settles.
   */
  async #loadRawImage(imageName: string, options: ModelLoadOptions): Promise<LoadedModel> {
    if (isPathReference(imageName)) {
      throw new NtError("NT_E_BAD_REQUEST", `with storage "raw" the model is the name of a placed image, not a path like ${imageName}`);
    }
    const { bdf } = await this.#rawImages.locate(imageName);
    this.#assertOpen();
    const open = async (): Promise<OpenedRawImage> => {
      const image = await this.#rawImages.open(bdf);
      if (image.name !== imageName) {
        closeSync(image.fd);
        throw new NtError("NT_E_MODEL_NOT_FOUND", `the image on ${bdf} is now ${image.name}, not ${imageName}; load it again`);
      }
      return image;
    };
    return this.#loadKeyed(`raw:${bdf}/${imageName}`, imageName, imageName, options, open);
  }

  /**
   * Loads the model keyed `key` (a canonical file path, or a raw image's "raw:<bdf>/<name>"), or
   * answers with the one held under that key; `reference` is what the request said (an alias).
   * With `openImage`, the weights come from the raw image it opens; without, from the file `key`.
   */
  async #loadKeyed(key: string, reference: string, defaultName: string, options: ModelLoadOptions,
    openImage?: () => Promise<OpenedRawImage>): Promise<LoadedModel> {
    const keepAliveMs = options.keepAlive === undefined ? undefined : parseKeepAlive(options.keepAlive);
    const file = key;
    this.#assertOpen();
    // From here to the entry's creation nothing awaits, so concurrent loads see each other's
    // entries: one engine load per file, and the model count limit holds.
    const existing = this.#entries.get(file);
    if (existing?.unloaded) {
      // Being unloaded: load it afresh once that is over.
      await existing.unloaded.catch(() => {});
      return this.load(reference, options);
    }
    if (existing && existing.state !== "failed") {
      existing.aliases.add(reference);
      const model = await this.#await(existing, options);
      this.#use(existing, keepAliveMs);
      return model;
    }
    if (existing) this.#entries.delete(file); // failed before: this load replaces it
    const name = options.name ?? defaultName;
    const taken = this.#findByName(name);
    if (taken?.state === "failed" && taken.unloaded) {
      // A failed model still being freed: its memory is freed before this load takes any.
      await taken.unloaded;
      return this.load(reference, options);
    }
    if (taken?.state === "failed") this.#entries.delete(taken.path);
    else if (taken) {
      throw new NtError("NT_E_BAD_REQUEST",
        `the name ${name} is taken by the model loaded from ${taken.path}; load ${file} under another name`);
    }
    const engine = this.#options.loadEngine();
    const evicted = this.#makeRoom(name);
    const entry: ModelEntry = new ModelEntry(name, file, keepAliveMs ?? this.#defaultKeepAliveMs, async (onProgress) => {
      // The evicted model's memory is freed before this one's is taken.
      await evicted?.unloaded?.catch(() => {});
      return this.#loadNative(engine, name, file, options, onProgress, {
        onActivity: () => this.#onActivity(entry),
        onFailure: (failure) => this.#onModelFailure(entry, failure),
      }, openImage);
    });
    entry.aliases.add(reference);
    this.#entries.set(file, entry);
    entry.ready.then(() => this.#onActivity(entry), (err: unknown) => {
      this.#logger.warn(`loading ${name} from ${file} failed: ${NtError.from(err).message}`);
    });
    return this.#await(entry, options);
  }

  /**
   * The model a request names (its name, or a path it was loaded from), waiting for it while it
   * loads, and counting as a use (its keep-alive timer restarts). NT_E_MODEL_NOT_FOUND when the
   * daemon does not hold it (unless options.autoLoad and a path) or it is being unloaded.
   */
  async get(reference: string, signal?: AbortSignal, options: ModelUseOptions = {}): Promise<LoadedModel> {
    this.#assertOpen();
    const keepAliveMs = options.keepAlive === undefined ? undefined : parseKeepAlive(options.keepAlive);
    const entry = this.#find(reference);
    if ((!entry || entry.state === "failed") && options.autoLoad && isPathReference(reference)) {
      return this.load(reference, { keepAlive: options.keepAlive, onProgress: options.onProgress, signal });
    }
    if (!entry) throw notLoaded(reference);
    if (entry.state === "failed") throw failedModel(entry);
    const model = await this.#await(entry, { signal, onProgress: options.onProgress });
    this.#use(entry, keepAliveMs);
    return model;
  }

  /**
   * Unloads a model: its requests in flight fail with NT_E_CANCELLED, then its memory is freed.
   * A model still loading is unloaded when its load ends; a failed one's entry is dropped (once
   * its memory is freed, for a model that failed after loading). Returns the model's name.
   */
  async unload(reference: string, reason?: NtError): Promise<string> {
    const entry = this.#find(reference);
    if (!entry) throw notLoaded(reference);
    if (entry.state === "failed") {
      await this.#unload(entry, reason ?? new NtError("NT_E_CANCELLED", `model ${entry.name} was unloaded`));
      return entry.name;
    }
    await this.#unload(entry, reason ?? new NtError("NT_E_CANCELLED", `model ${entry.name} was unloaded`));
    return entry.name;
  }

  /**
   * Cancels every generation in flight on a model (each fails with NT_E_CANCELLED); the model
   * stays loaded. Returns its name and how many were cancelled.
   */
  cancelAll(reference: string): { name: string; cancelled: number } {
    const entry = this.#find(reference);
    if (!entry || entry.state === "failed") throw entry ? failedModel(entry) : notLoaded(reference);
    const cancelled = entry.model?.cancelAll(new NtError("NT_E_CANCELLED", `the requests of model ${entry.name} were cancelled`)) ?? 0;
    if (cancelled > 0) this.#logger.info(`cancelled ${cancelled} requests of ${entry.name}`);
    return { name: entry.name, cancelled };
  }

  /** Every model held (and every failed load not yet cleared), as `status` lists them. */
  list(): ModelStatus[] {
    return [...this.#entries.values()].map(modelStatusOf);
  }

  /**
   * Unloads everything and refuses every later request with `reason` (the daemon is stopping).
   * Loads in progress cannot be interrupted in the engine: they are awaited, then freed.
   */
  async close(reason: NtError): Promise<void> {
    this.#closed ??= reason;
    await Promise.all([...this.#entries.values()].map((entry) => this.#unload(entry, reason)));
    this.#entries.clear();
  }

  #unload(entry: ModelEntry, reason: NtError): Promise<void> {
    if (entry.state === "failed") {
      // Nothing is held, or the failed model is being freed already: the entry just goes.
      if (this.#entries.get(entry.path) === entry) this.#entries.delete(entry.path);
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
        if (this.#entries.get(entry.path) === entry) this.#entries.delete(entry.path);
        return;
      }
      entry.state = "unloading";
      entry.cancelExpiry();
      try {
        await model.dispose(reason);
        this.#logger.info(`unloaded ${entry.name}`);
      } finally {
        if (this.#entries.get(entry.path) === entry) this.#entries.delete(entry.path);
      }
    })();
    return entry.unloaded;
  }

  /**
   * Makes room for one more model under maxLoadedModels: starts unloading the least recently used
   * loaded model with no request in flight, and returns it (the new load awaits its end), or
   * nothing when there is room. NT_E_BUSY when every model held is loading or busy.
   */
  #makeRoom(forName: string): ModelEntry | undefined {
    const held = [...this.#entries.values()].filter((e) => !e.unloaded && (e.state === "loading" || e.state === "loaded"));
    if (held.length < this.#maxLoadedModels) return undefined;
    const idle = held.filter((e) => e.state === "loaded" && e.model?.inFlight === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    const victim = idle[0];
    if (!victim) {
      throw new NtError("NT_E_BUSY", `cannot load ${forName}: ntd holds ${held.length} models (its maximum) and `
        + "every one is loading or has requests in flight; try again later, or unload one");
    }
    this.#logger.info(`unloading ${victim.name}, the least recently used idle model, to make room for ${forName}`);
    void this.#unload(victim, new NtError("NT_E_CANCELLED", `model ${victim.name} was unloaded to make room for ${forName}`))
      .catch((err: unknown) => this.#logger.error(`unloading ${victim.name} failed: ${NtError.from(err).message}`));
    return victim;
  }

  /**
   * The engine reports the loaded model failed (a forward pass hit an I/O, CUDA or memory error;
   * it computes nothing more): the entry turns "failed" as a failed load does, so status says why
   * and the next load of the file starts afresh; the model's other requests end with the same
   * error and its memory is freed. Other models are untouched.
   */
  #onModelFailure(entry: ModelEntry, failure: NtError): void {
    const { model } = entry;
    // Being unloaded already (which frees it), or the entry now holds another model.
    if (entry.state !== "loaded" || entry.unloaded || !model || model.disposed) return;
    this.#logger.error(`model ${entry.name} failed: ${failure.message} [${failure.code}]`);
    const freed = model.dispose(failure).then(
      () => void this.#logger.info(`freed failed model ${entry.name}`),
      (err: unknown) => void this.#logger.error(`freeing failed model ${entry.name} failed: ${NtError.from(err).message}`));
    entry.markFailed(failure, freed);
  }

  /** A use of the model (a generation started or ended, a lookup): restarts or stops its keep-alive timer. */
  #onActivity(entry: ModelEntry): void {
    entry.lastUsed = performance.now();
    const { model } = entry;
    if (entry.state !== "loaded" || entry.unloaded || !model) return;
    if (model.inFlight > 0) entry.cancelExpiry();
    else entry.scheduleExpiry(() => this.#expire(entry));
  }

  /** A load or lookup of a model held: takes the caller's keep-alive, if it gave one, and counts as a use. */
  #use(entry: ModelEntry, keepAliveMs: number | undefined): void {
    if (keepAliveMs !== undefined) entry.keepAliveMs = keepAliveMs;
    this.#onActivity(entry);
  }

  /** The keep-alive timer fired: unloads the model unless a request started since. */
  #expire(entry: ModelEntry): void {
    if (entry.state !== "loaded" || entry.unloaded || (entry.model?.inFlight ?? 0) > 0) return;
    this.#logger.info(`unloading ${entry.name}: idle for its keep-alive`);
    this.#unload(entry, new NtError("NT_E_CANCELLED", `model ${entry.name} was unloaded: its keep-alive expired`))
      .catch((err: unknown) => this.#logger.error(`unloading ${entry.name} failed: ${NtError.from(err).message}`));
  }

  async #loadNative(engine: EngineBinding, name: string, file: string, options: ModelLoadOptions,
    onProgress: LoadProgressListener, hooks: Pick<LoadedModelOptions, "onActivity" | "onFailure">,
    openImage?: () => Promise<OpenedRawImage>): Promise<LoadedModel> {
    this.#logger.info(`loading ${name} from ${file}`);
    const started = performance.now();
    const nativeOptions = nativeLoadOptions(options, this.#defaultLoad, this.#maxSequences);
    const image = await openImage?.();
    if (image) {
      nativeOptions.image = { fd: image.fd, offset: image.offsetBytes, size: image.sizeBytes };
      this.#logger.info(`${name}: image ${image.name} on ${image.bdf}, ${image.sizeBytes} bytes at offset ${image.offsetBytes}`);
    }
    let native;
    try {
      native = await engine.loadModel(file, nativeOptions, onProgress);
    } catch (err) {
      throw NtError.from(err);
    } finally {
      // The engine dups what it keeps; the helper's fd is ours to close once the load settles.
      if (image) closeSync(image.fd);
    }
    const model = new LoadedModel({
      name, path: file, native, cancelGraceMs: this.#options.cancelGraceMs,
      maxInFlight: this.#maxSequences + this.#maxQueue, ...hooks,
    });
    const { architecture, nCtx, weightBytes } = model.info;
    const seconds = (performance.now() - started) / 1000;
    this.#logger.info(`loaded ${name} (${architecture}, n_ctx ${nCtx}, ${weightBytes} bytes of weights`
      + `${model.backend ? `, ${model.backend}` : ""}) in ${seconds.toFixed(2)} s`);
    this.#logPlacement(model);
    this.#options.onLoaded?.(name, seconds);
    return model;
  }

  /** Logs the placement table once per load (the plan is fixed for the model's life), or why it is missing. */
  #logPlacement(model: LoadedModel): void {
    if (model.placement) this.#logger.info(`placement of ${model.name}:\n${model.placement.text.trimEnd()}`);
    if (model.placementError) this.#logger.warn(`placement of ${model.name} left out of status: ${model.placementError.message}`);
  }

  /** Waits for an entry's model on behalf of one caller, forwarding progress and honouring its signal. */
  async #await(entry: ModelEntry, options: Pick<ModelLoadOptions, "onProgress" | "signal">): Promise<LoadedModel> {
    if (entry.unloaded) throw new NtError("NT_E_MODEL_NOT_FOUND", `model ${entry.name} is being unloaded`);
    if (entry.model) return entry.model;
    const { onProgress, signal } = options;
    const stopListening = onProgress ? entry.listen(onProgress) : () => false;
    let onAbort = () => {};
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(new NtError("NT_E_CANCELLED", `stopped waiting for model ${entry.name} to load`));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([entry.ready, aborted]);
    } finally {
      stopListening();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #find(reference: string): ModelEntry | undefined {
    return isPathReference(reference) ? this.#findByPath(reference) : this.#findByName(reference);
  }

  #entryByName(name: string): ModelEntry {
    const entry = this.#findByName(name);
    if (!entry) throw notLoaded(name);
    if (entry.state === "failed") throw failedModel(entry);
    return entry;
  }

  #findByName(name: string): ModelEntry | undefined {
    for (const entry of this.#entries.values()) if (entry.name === name) return entry;
    return undefined;
  }

  #findByPath(reference: string): ModelEntry | undefined {
    for (const entry of this.#entries.values()) if (entry.aliases.has(reference)) return entry;
    return undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw this.#closed;
  }
}

/**
 * The engine's options for one load: each load option the load's own, else the daemon's default,
 * passed on unchanged. Absent ones are left out rather than passed as undefined, so the engine
 * applies its own defaults.
 */
function nativeLoadOptions(options: ModelLoadOptions, defaults: LoadOptions, maxSequences: number): NativeModelOptions {
  const chosen: NativeModelOptions = { maxSequences };
  for (const key of LOAD_OPTION_KEYS) {
    const value = options[key] ?? defaults[key];
    if (value !== undefined) Object.assign(chosen, { [key]: value });
  }
  return chosen;
}

/** A reference with a "/" is a path; names cannot contain one (the load schema refuses it). */
function isPathReference(reference: string): boolean {
  return reference.includes("/");
}

/**
 * A lookup of a model whose load failed, or that failed once loaded: not found (nothing is held
 * to compute with), saying why; status shows the failure's code.
 */
function failedModel(entry: ModelEntry): NtError {
  const what = entry.failedAfterLoad ? "it failed" : "its load failed";
  return new NtError("NT_E_MODEL_NOT_FOUND",
    `model ${entry.name} is not loaded: ${what} (${entry.error?.code ?? "?"}: ${entry.error?.message ?? "no message"}); load it again`);
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new NtError("NT_E_BAD_REQUEST", `${what} must be a positive integer, not ${value}`);
  return value;
}

function notLoaded(reference: string): NtError {
  return new NtError("NT_E_MODEL_NOT_FOUND", isPathReference(reference)
    ? `no model is loaded from ${reference}; load it first`
    : `no model named ${reference} is loaded; load it first (by its path)`);
}

/**
 * The canonical path of a model file (symlinks resolved, so one file is one model). Checked here
 * rather than left to the engine, so a missing file is NT_E_NOT_FOUND whatever the engine says.
 */
async function canonicalModelPath(reference: string): Promise<string> {
  if (!path.isAbsolute(reference)) {
    throw new NtError("NT_E_BAD_REQUEST", `model path ${reference} is relative; the daemon needs an absolute path`);
  }
  try {
    const file = await realpath(reference);
    if (!(await stat(file)).isFile()) throw new NtError("NT_E_BAD_REQUEST", `${reference} is not a file`);
    return file;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new NtError("NT_E_NOT_FOUND", `no model file at ${reference}`, { cause: err });
    throw NtError.from(err);
  }
}
