import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import winston, { type Logger } from "winston";
import type { EngineBinding } from "../../cuda-engine/js/EngineBinding.js";
import { NtError } from "../../protocol/NtError.js";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { LoadedModel } from "./LoadedModel.js";
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
}

/** Options of one load. */
export interface ModelLoadOptions {
  /** The name to load it under. Default: the file name without ".gguf". */
  name?: string;
  /** Context size per sequence. Default: the model's training context, at most 4096 (the engine's default). */
  nCtx?: number;
  /** CPU threads of the forward pass. Default: one per hardware thread (the engine's default). */
  threads?: number;
  /** Gets load progress while this caller waits. */
  onProgress?: LoadProgressListener;
  /** Stops this caller's waiting (NT_E_CANCELLED); the load itself goes on for other callers. */
  signal?: AbortSignal;
}

/**
 * The models the daemon holds, keyed by canonical file path, each also found by its name. Loading
 * a file already held answers with it; concurrent loads of one file share one engine load.
 * Deliberately simple: no keep-alive, queue limits or model count limit yet — those hang off the
 * per-model ModelEntry (its state) when the full lifecycle arrives.
 */
export class ModelRegistry {
  readonly #options: ModelRegistryOptions;
  readonly #logger: Logger;
  /** By canonical path, in the order the models were first asked for. */
  readonly #entries = new Map<string, ModelEntry>();
  /** Set once the daemon stops: every later request fails with it. */
  #closed: NtError | undefined;

  constructor(options: ModelRegistryOptions) {
    this.#options = options;
    this.#logger = options.logger ?? winston.createLogger({ silent: true });
  }

  /**
   * Loads a model by absolute path, or answers with one already held (by that path or by name).
   * Refuses relative paths (NT_E_BAD_REQUEST), missing files (NT_E_NOT_FOUND) and names of
   * models not held (NT_E_MODEL_NOT_FOUND); engine failures keep their code.
   */
  async load(reference: string, options: ModelLoadOptions = {}): Promise<LoadedModel> {
    this.#assertOpen();
    if (!isPathReference(reference)) return this.#await(this.#entryByName(reference), options);
    const file = await canonicalModelPath(reference);
    this.#assertOpen();
    const existing = this.#entries.get(file);
    if (existing?.unloaded) {
      // Being unloaded: load it afresh once that is over.
      await existing.unloaded.catch(() => {});
      return this.load(reference, options);
    }
    if (existing) {
      existing.aliases.add(reference);
      return this.#await(existing, options);
    }
    const name = options.name ?? path.basename(file).replace(/\.gguf$/i, "");
    const taken = this.#findByName(name);
    if (taken) {
      throw new NtError("NT_E_BAD_REQUEST",
        `the name ${name} is taken by the model loaded from ${taken.path}; load ${file} under another name`);
    }
    const engine = this.#options.loadEngine();
    const entry = new ModelEntry(name, file, (onProgress) => this.#loadNative(engine, name, file, options, onProgress));
    entry.aliases.add(reference);
    this.#entries.set(file, entry);
    entry.ready.catch((err: unknown) => {
      if (this.#entries.get(file) === entry) this.#entries.delete(file);
      this.#logger.warn(`loading ${name} from ${file} failed: ${NtError.from(err).message}`);
    });
    return this.#await(entry, options);
  }

  /**
   * The model a request names (its name, or a path it was loaded from), waiting for it while it
   * loads. NT_E_MODEL_NOT_FOUND when the daemon does not hold it or it is being unloaded.
   */
  async get(reference: string, signal?: AbortSignal): Promise<LoadedModel> {
    this.#assertOpen();
    const entry = isPathReference(reference) ? this.#findByPath(reference) : this.#findByName(reference);
    if (!entry) throw notLoaded(reference);
    return this.#await(entry, { signal });
  }

  /**
   * Unloads a model: its requests in flight fail with NT_E_CANCELLED, then its memory is freed.
   * A model still loading is unloaded when its load ends. Returns the model's name.
   */
  async unload(reference: string, reason?: NtError): Promise<string> {
    const entry = isPathReference(reference) ? this.#findByPath(reference) : this.#findByName(reference);
    if (!entry) throw notLoaded(reference);
    await this.#unload(entry, reason ?? new NtError("NT_E_CANCELLED", `model ${entry.name} was unloaded`));
    return entry.name;
  }

  /** Every model held, as `status` lists them. */
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
  }

  #unload(entry: ModelEntry, reason: NtError): Promise<void> {
    entry.unloaded ??= (async () => {
      const model = await entry.ready.catch(() => undefined);
      if (!model) return; // The load failed: nothing is held and the entry is already gone.
      entry.state = "unloading";
      try {
        await model.dispose(reason);
        this.#logger.info(`unloaded ${entry.name}`);
      } finally {
        if (this.#entries.get(entry.path) === entry) this.#entries.delete(entry.path);
      }
    })();
    return entry.unloaded;
  }

  async #loadNative(engine: EngineBinding, name: string, file: string, options: ModelLoadOptions,
    onProgress: LoadProgressListener): Promise<LoadedModel> {
    this.#logger.info(`loading ${name} from ${file}`);
    const started = performance.now();
    const native = await engine.loadModel(file, { nCtx: options.nCtx, threads: options.threads }, onProgress)
      .catch((err: unknown) => {
        throw NtError.from(err);
      });
    const model = new LoadedModel({ name, path: file, native, cancelGraceMs: this.#options.cancelGraceMs });
    const { architecture, nCtx, weightBytes } = model.info;
    this.#logger.info(`loaded ${name} (${architecture}, n_ctx ${nCtx}, ${weightBytes} bytes of weights) `
      + `in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    return model;
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

  #entryByName(name: string): ModelEntry {
    const entry = this.#findByName(name);
    if (!entry) throw notLoaded(name);
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

/** A reference with a "/" is a path; names cannot contain one (the load schema refuses it). */
function isPathReference(reference: string): boolean {
  return reference.includes("/");
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
