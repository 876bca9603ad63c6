import type { LoadedModel } from "./LoadedModel.js";

/** Where a model is in its life; "failed" and keep-alive states come with the full lifecycle. */
export type ModelState = "loading" | "loaded" | "unloading";

/** Gets load progress: bytes of weights read so far, of total. */
export type LoadProgressListener = (done: number, total: number) => void;

/**
 * The registry's record of one model file: its name, state and load progress, and the load that
 * every request for it shares. Created when the first load of the file starts.
 */
export class ModelEntry {
  readonly name: string;
  /** The file's canonical absolute path: the registry's key. */
  readonly path: string;
  /** Paths as requests gave them that resolved to this file (through symlinks), for lookups. */
  readonly aliases = new Set<string>();
  state: ModelState = "loading";
  /** Bytes of weights read, of total; both 0 until the engine reports. */
  readonly progress = { done: 0, total: 0 };
  /** The model, once loaded. */
  model: LoadedModel | undefined;
  /** Settles when the load ends; every caller waiting for this model awaits it. */
  readonly ready: Promise<LoadedModel>;
  /** Settles when the model has been unloaded, once unloading started. */
  unloaded: Promise<void> | undefined;
  readonly #listeners = new Set<LoadProgressListener>();

  constructor(name: string, path: string, load: (onProgress: LoadProgressListener) => Promise<LoadedModel>) {
    this.name = name;
    this.path = path;
    this.aliases.add(path);
    this.ready = load((done, total) => this.#onProgress(done, total)).then((model) => {
      this.model = model;
      this.state = "loaded";
      return model;
    });
    this.ready.finally(() => this.#listeners.clear()).catch(() => {
      // Load failures reach the requests through `ready`; this chain only clears the listeners.
    });
  }

  /** Adds a progress listener until the returned function is called (or the load ends). */
  listen(listener: LoadProgressListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #onProgress(done: number, total: number): void {
    this.progress.done = done;
    this.progress.total = total;
    for (const listener of this.#listeners) listener(done, total);
  }
}
