import { closeSync } from "node:fs";
import { performance } from "node:perf_hooks";
import winston, { type Logger } from "winston";
import type { EngineBinding, NativeModelOptions } from "../../cuda-engine/js/EngineBinding.js";
import { NtError } from "../../protocol/NtError.js";
import type { KeepAlive } from "../../protocol/verbs/keepAlive.js";
import { LOAD_OPTION_KEYS, type LoadOptions } from "../../protocol/verbs/loadOptions.js";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { defaultHelperSocketPath } from "../../protocol/helper/defaultHelperSocketPath.js";
import { HelperImageSource } from "../storage/HelperImageSource.js";
import type { StorageBackend } from "../../protocol/verbs/storageBackend.js";
import type { DataplaneSource, OpenedDataplane } from "../storage/DataplaneSource.js";
import { endDataplaneSession } from "../storage/endDataplaneSession.js";
import type { OpenedRawImage, RawImageSource } from "../storage/RawImageSource.js";
import { LoadedModel, type LoadedModelOptions } from "./LoadedModel.js";
import { loadOptionChanges, type LoadOptionChange } from "./loadOptionChanges.js";
import { ModelEntry, type LoadProgressListener } from "./ModelEntry.js";
import { ModelScheduler } from "./ModelScheduler.js";
import { modelStatusOf } from "./wireForms.js";
import { ModelTable } from "./ModelTable.js";
import { resolveModelSource, type ModelSource } from "./resolveModelSource.js";
import { countOf } from "../../protocol/countOf.js";

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
   * contextSize, threads, backend, vramBudget, pinnedBudget, dualPath). Default: none, so the engine's
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
  /**
   * Where loads with storage "vfio" find their images and open data-plane sessions on them.
   * Default: nt-nvme-helper at defaultHelperSocketPath() (ntd passes its helperSocket key).
   */
  dataplanes?: DataplaneSource;
  /**
   * How long a read through the data plane waits for the helper before the model fails with
   * NT_E_IO (a helper that died leaves no one to answer). Default: the engine's, 40 s (above the
   * helper's own 30 s limit on a command its controller holds).
   */
  dataplaneTimeoutMs?: number;
  /**
   * The file the engine caches the dual path's calibration in (ntd passes calibrationCachePath()).
   * Default: none, the engine measures once per process.
   */
  calibrationCache?: string;
}

/**
 * Options of one load: the protocol's load options (loadOptionsSchema), which apply to a new load
 * only (a model already held keeps its placement), and how this caller finds and waits for it.
 */
export interface ModelLoadOptions extends LoadOptions {
  /**
   * "file" (default): the reference is a file's path (or a loaded model's name); "raw": it is the
   * name of an image placed on a raw block device, found and opened through `rawImages`; "vfio":
   * that image on a device bound to vfio-pci, read through a data-plane session of `dataplanes`.
   */
  storage?: StorageBackend;
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
  /**
   * The load options the request carries (`generate` and `chat` may): when it gives any, the
   * lookup is a load with them (ModelRegistry.load), which loads a path not held, and reloads a
   * model held with other options when idle (NT_E_BUSY when busy). Default: none, the model as it is.
   */
  load?: LoadOptions;
}

/**
 * The models the daemon holds: loads them (one engine load per file, shared by concurrent loads
 * of it), finds them for requests (ModelTable) and lists them. When models are evicted, expire or
 * are refused is ModelScheduler's, which it asks at each load, lookup and request.
 */
export class ModelRegistry {
  readonly #options: ModelRegistryOptions;
  readonly #logger: Logger;
  readonly #table = new ModelTable();
  readonly #scheduler: ModelScheduler;
  #defaultLoad: LoadOptions;
  readonly #rawImages: RawImageSource;
  readonly #dataplanes: DataplaneSource;
  /** Set once the daemon stops: every later request fails with it. */
  #closed: NtError | undefined;

  constructor(options: ModelRegistryOptions) {
    this.#options = options;
    this.#logger = options.logger ?? winston.createLogger({ silent: true });
    this.#scheduler = new ModelScheduler(this.#table, this.#logger, options);
    this.#defaultLoad = options.defaultLoad ?? {};
    const helper = new HelperImageSource(() => defaultHelperSocketPath());
    this.#rawImages = options.rawImages ?? helper;
    this.#dataplanes = options.dataplanes ?? helper;
  }

  /**
   * Applies reloaded limits (SIGHUP): the residency limits as ModelScheduler.configure says, and
   * the default load options to later loads. Fields left out keep their value.
   */
  configure(limits: Pick<ModelRegistryOptions, "defaultKeepAlive" | "maxLoadedModels" | "maxQueue" | "defaultLoad">): void {
    if (limits.defaultLoad !== undefined) this.#defaultLoad = limits.defaultLoad;
    this.#scheduler.configure(limits);
  }

  /**
   * Loads a model by absolute path, or answers with one already held (by that path or by name).
   * A model held whose load differs from an option this load gives (loadOptionChanges) is
   * reloaded with it when idle, keeping the options this load leaves out, and refused with
   * NT_E_BUSY while it has requests in flight. Refuses relative paths (NT_E_BAD_REQUEST), missing
   * files (NT_E_NOT_FOUND), names of models not held (NT_E_MODEL_NOT_FOUND) and a load beyond
   * maxLoadedModels when every model held is busy (NT_E_BUSY); engine failures keep their code,
   * and leave a "failed" entry.
   */
  async load(reference: string, options: ModelLoadOptions = {}): Promise<LoadedModel> {
    this.#assertOpen();
    if ((options.storage ?? "file") === "file" && !ModelTable.isPath(reference)) {
      return this.#useHeld(this.#table.usable(reference), options);
    }
    const source = await resolveModelSource(reference, options.storage, { rawImages: this.#rawImages, dataplanes: this.#dataplanes });
    return this.#loadKeyed(source, reference, options);
  }

  /**
   * Loads the model of `source`, or answers with the one held under its key; `reference` is what
   * the request said (an alias).
   */
  async #loadKeyed(source: ModelSource, reference: string, options: ModelLoadOptions): Promise<LoadedModel> {
    const file = source.key;
    this.#assertOpen();
    // From here to the entry's creation nothing awaits, so concurrent loads see each other's
    // entries: one engine load per file, and the model count limit holds.
    const existing = this.#table.get(file);
    if (existing?.unloaded) {
      // Being unloaded: load it afresh once that is over.
      await existing.unloaded.catch(() => {});
      return this.load(reference, options);
    }
    if (existing && existing.state !== "failed") {
      existing.aliases.add(reference);
      return this.#useHeld(existing, options);
    }
    if (existing) this.#table.remove(existing); // failed before: this load replaces it
    const name = options.name ?? source.defaultName;
    const taken = this.#table.findByName(name);
    if (taken?.state === "failed" && taken.unloaded) {
      // A failed model still being freed: its memory is freed before this one's is taken.
      await taken.unloaded;
      return this.load(reference, options);
    }
    if (taken?.state === "failed") this.#table.remove(taken);
    else if (taken) {
      throw new NtError("NT_E_BAD_REQUEST",
        `the name ${name} is taken by the model loaded from ${taken.path}; load ${file} under another name`);
    }
    const engine = this.#options.loadEngine();
    const evicted = this.#scheduler.makeRoom(name);
    const request = {
      reference: (options.storage ?? "file") === "file" ? file : reference, storage: options.storage ?? "file",
      given: pickLoadOptions(options, {}), effective: pickLoadOptions(options, this.#defaultLoad),
    } as const;
    const entry: ModelEntry = new ModelEntry(name, file, request, this.#scheduler.initialKeepAliveMs(options.keepAlive), async (onProgress) => {
      // The evicted model's memory is freed before this one's is taken.
      await evicted?.unloaded?.catch(() => {});
      return this.#loadNative(engine, name, file, request.effective, onProgress, {
        onActivity: () => this.#scheduler.onActivity(entry),
        onFailure: (failure) => this.#scheduler.onModelFailure(entry, failure),
        admit: (inFlight) => this.#scheduler.admit(name, inFlight),
      }, source);
    });
    entry.aliases.add(reference);
    this.#table.add(entry);
    entry.ready.then(() => this.#scheduler.onActivity(entry), (err: unknown) => {
      this.#logger.warn(`loading ${name} from ${file} failed: ${NtError.from(err).message}`);
    });
    return this.#await(entry, options);
  }

  /**
   * A load of a model held (or loading): waits for it, then answers with it when it has every
   * option the load gives, else reloads it (see load). Counts as a use, taking the load's keep-alive.
   */
  async #useHeld(entry: ModelEntry, options: ModelLoadOptions): Promise<LoadedModel> {
    const keepAliveMs = this.#scheduler.keepAliveMs(options.keepAlive);
    const model = await this.#await(entry, options);
    const changes = loadOptionChanges(options, {
      name: entry.name, effective: entry.request.effective,
      actual: { nCtx: model.info.nCtx, threads: model.info.threads, backend: model.backend },
    });
    if (changes.length > 0) return this.#reload(entry, model, changes, options);
    this.#scheduler.use(entry, keepAliveMs);
    return model;
  }

  /**
   * Reloads an idle model with the options a load changes (keeping its other options, its name
   * unless renamed, and its keep-alive unless given), as Ollama reloads a model when a request's
   * num_ctx differs. NT_E_BUSY while it has requests in flight: they were admitted under the
   * model as it is, and cancelling them for someone else's options would surprise their clients.
   */
  async #reload(entry: ModelEntry, model: LoadedModel, changes: readonly LoadOptionChange[],
    options: ModelLoadOptions): Promise<LoadedModel> {
    const what = changes.map((c) => `${c.option} ${c.held ?? "(default)"} → ${c.given}`).join(", ");
    if (model.inFlight > 0) {
      throw new NtError("NT_E_BUSY", `model ${entry.name} is loaded with other options than asked (${what}) and has `
        + `${model.inFlight} request${model.inFlight === 1 ? "" : "s"} in flight; it is reloaded with them once idle: `
        + "try again later, or leave those options out to use it as it is");
    }
    this.#logger.info(`reloading ${entry.name} with other options: ${what}`);
    const { request } = entry;
    await this.#scheduler.unload(entry, new NtError("NT_E_CANCELLED", `model ${entry.name} was reloaded with other options (${what})`));
    const reloaded = await this.load(request.reference, {
      ...request.given, ...pickLoadOptions(options, {}), storage: request.storage, name: options.name ?? entry.name,
      keepAlive: options.keepAlive ?? keepAliveOfMs(entry.keepAliveMs), onProgress: options.onProgress, signal: options.signal,
    });
    // Paths it was asked for by (symlinks) still find it.
    for (const alias of entry.aliases) this.#table.get(entry.path)?.aliases.add(alias);
    return reloaded;
  }

  /**
   * The model a request names (its name, or a path it was loaded from), waiting for it while it
   * loads, and counting as a use (its keep-alive timer restarts). NT_E_MODEL_NOT_FOUND when the
   * daemon does not hold it (unless options.autoLoad and a path) or it is being unloaded.
   */
  async get(reference: string, signal?: AbortSignal, options: ModelUseOptions = {}): Promise<LoadedModel> {
    this.#assertOpen();
    const keepAliveMs = this.#scheduler.keepAliveMs(options.keepAlive);
    if (options.load && Object.values(options.load).some((value) => value !== undefined)) {
      // A request that gives load options is a load of them (which reloads a model held without them).
      return this.load(reference, { ...options.load, keepAlive: options.keepAlive, onProgress: options.onProgress, signal });
    }
    const entry = this.#table.find(reference);
    if ((!entry || entry.state === "failed") && options.autoLoad && ModelTable.isPath(reference)) {
      return this.load(reference, { keepAlive: options.keepAlive, onProgress: options.onProgress, signal });
    }
    if (!entry) throw ModelTable.notLoaded(reference);
    if (entry.state === "failed") throw ModelTable.failed(entry);
    const model = await this.#await(entry, { signal, onProgress: options.onProgress });
    this.#scheduler.use(entry, keepAliveMs);
    return model;
  }

  /**
   * Unloads a model: its requests in flight fail with NT_E_CANCELLED, then its memory is freed.
   * A model still loading is unloaded when its load ends; a failed one's entry is dropped (once
   * its memory is freed, for a model that failed after loading). Returns the model's name.
   */
  async unload(reference: string, reason?: NtError): Promise<string> {
    const entry = this.#table.find(reference);
    if (!entry) throw ModelTable.notLoaded(reference);
    await this.#scheduler.unload(entry, reason ?? new NtError("NT_E_CANCELLED", `model ${entry.name} was unloaded`));
    return entry.name;
  }

  /**
   * Cancels every generation in flight on a model (each fails with NT_E_CANCELLED); the model
   * stays loaded. Returns its name and how many were cancelled.
   */
  cancelAll(reference: string): { name: string; cancelled: number } {
    const entry = this.#table.find(reference);
    if (!entry || entry.state === "failed") throw entry ? ModelTable.failed(entry) : ModelTable.notLoaded(reference);
    const cancelled = entry.model?.cancelAll(new NtError("NT_E_CANCELLED", `the requests of model ${entry.name} were cancelled`)) ?? 0;
    if (cancelled > 0) this.#logger.info(`cancelled ${countOf(cancelled, "request")} of ${entry.name}`);
    return { name: entry.name, cancelled };
  }

  /** The models loaded and serving, looked at without counting as a use (HTTP's /v1/models). */
  loadedModels(): LoadedModel[] {
    return this.#table.values().flatMap((entry) => (entry.state === "loaded" && entry.model ? [entry.model] : []));
  }

  /** Every model held (and every failed load not yet cleared), as `status` lists them. */
  list(): ModelStatus[] {
    return this.#table.values().map(modelStatusOf);
  }

  /**
   * Unloads everything and refuses every later request with `reason` (the daemon is stopping).
   * Loads in progress cannot be interrupted in the engine: they are awaited, then freed.
   */
  async close(reason: NtError): Promise<void> {
    this.#closed ??= reason;
    await Promise.all(this.#table.values().map((entry) => this.#scheduler.unload(entry, reason)));
    this.#table.clear();
  }

  async #loadNative(engine: EngineBinding, name: string, file: string, options: LoadOptions,
    onProgress: LoadProgressListener, hooks: Pick<LoadedModelOptions, "onActivity" | "onFailure" | "admit">,
    source: ModelSource): Promise<LoadedModel> {
    this.#logger.info(`loading ${name} from ${file}`);
    const started = performance.now();
    const nativeOptions: NativeModelOptions = { ...options, maxSequences: this.#scheduler.maxSequences };
    if (this.#options.calibrationCache !== undefined) nativeOptions.calibrationCache = this.#options.calibrationCache;
    const opened = await this.#openSource(name, source, nativeOptions);
    let native;
    try {
      native = await engine.loadModel(file, nativeOptions, onProgress);
    } catch (err) {
      // A session the engine refused before mapping it would run until ntd exits: end it (once
      // mapped, the engine's reader has ended it already; saying so twice is harmless).
      if (opened?.session) endDataplaneSession(opened.fd);
      else if (opened) closeSync(opened.fd);
      throw NtError.from(err);
    }
    // The engine dups or maps what it keeps; the helper's fd is ours to close once the load settles.
    if (opened) closeSync(opened.fd);
    const model = new LoadedModel({
      name, path: file, native, cancelGraceMs: this.#options.cancelGraceMs, chatTemplate: options.chatTemplate ?? this.#defaultLoad.chatTemplate, ...hooks,
    });
    const { architecture, nCtx, weightBytes } = model.info;
    const seconds = (performance.now() - started) / 1000;
    this.#logger.info(`loaded ${name} (${architecture}, n_ctx ${nCtx}, ${weightBytes} bytes of weights`
      + `, ${model.backend}) in ${seconds.toFixed(2)} s`);
    this.#logPlacement(model);
    if (!model.chatTemplate && !model.info.chatTemplate) {
      this.#logger.info(`${name} has no chat template: chat uses ChatML, as llama-server does (load it with --chat-template NAME for another)`);
    }
    this.#options.onLoaded?.(name, seconds);
    return model;
  }

  /**
   * Opens an image's fd (raw) or a data-plane session (vfio) for the load, into the engine's
   * options; nothing for a file.
   */
  async #openSource(name: string, source: ModelSource, nativeOptions: NativeModelOptions): Promise<{ fd: number; session: boolean } | undefined> {
    const image: OpenedRawImage | undefined = await source.openImage?.();
    if (image) {
      nativeOptions.image = { fd: image.fd, offset: image.offsetBytes, size: image.sizeBytes };
      this.#logger.info(`${name}: image ${image.name} on ${image.bdf}, ${image.sizeBytes} bytes at offset ${image.offsetBytes}`);
      return { fd: image.fd, session: false };
    }
    const session: OpenedDataplane | undefined = await source.openDataplane?.();
    if (session) {
      // The drive keys its measured read speed: a second model on another drive is measured anew.
      nativeOptions.vfio = { fd: session.fd, size: session.sizeBytes, device: session.bdf, ...timeoutOf(this.#options.dataplaneTimeoutMs) };
      this.#logger.info(`${name}: image ${session.name} on ${session.bdf} (vfio-pci), ${session.sizeBytes} bytes through nt-nvme-helper's data plane`);
      return { fd: session.fd, session: true };
    }
    return undefined;
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

  #assertOpen(): void {
    if (this.#closed) throw this.#closed;
  }
}

/**
 * The load options of `options`, each the load's own else the default's; absent ones are left
 * out rather than set to undefined, so the engine applies its own defaults.
 */
function pickLoadOptions(options: LoadOptions, defaults: LoadOptions): LoadOptions {
  const chosen: LoadOptions = {};
  for (const key of LOAD_OPTION_KEYS) {
    const value = options[key] ?? defaults[key];
    if (value !== undefined) Object.assign(chosen, { [key]: value });
  }
  return chosen;
}

/** A keep-alive in ms as a request gives it: seconds, negative for never. */
function keepAliveOfMs(ms: number): KeepAlive {
  return ms === Infinity ? -1 : ms / 1000;
}

/** The engine's vfio.timeoutMs when the registry was given one. */
function timeoutOf(ms: number | undefined): { timeoutMs?: number } {
  return ms === undefined ? {} : { timeoutMs: ms };
}
