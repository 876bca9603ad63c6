import { NtError } from "../../protocol/NtError.js";
import type { ModelEntry } from "./ModelEntry.js";

/**
 * The models the daemon holds, by key (a canonical file path, or a raw image's
 * "raw:<bdf>/<name>"), in the order they were first asked for, and how a request's reference
 * finds one: a reference with a "/" is a path (the key or an alias it was loaded by), any other
 * a name. Only lookup lives here; when models come and go is ModelScheduler's.
 */
export class ModelTable {
  readonly #entries = new Map<string, ModelEntry>();

  /** A reference with a "/" is a path; names cannot contain one (the load schema refuses it). */
  static isPath(reference: string): boolean {
    return reference.includes("/");
  }

  /** The error of a lookup that finds nothing. */
  static notLoaded(reference: string): NtError {
    return new NtError("NT_E_MODEL_NOT_FOUND", ModelTable.isPath(reference)
      ? `no model is loaded from ${reference}; load it first`
      : `no model named ${reference} is loaded; load it first (by its path)`);
  }

  /**
   * The error of a lookup of a model whose load failed, or that failed once loaded: not found
   * (nothing is held to compute with), saying why; status shows the failure's code.
   */
  static failed(entry: ModelEntry): NtError {
    const what = entry.failedAfterLoad ? "it failed" : "its load failed";
    return new NtError("NT_E_MODEL_NOT_FOUND",
      `model ${entry.name} is not loaded: ${what} (${entry.error?.code ?? "?"}: ${entry.error?.message ?? "no message"}); load it again`);
  }

  get(key: string): ModelEntry | undefined {
    return this.#entries.get(key);
  }

  add(entry: ModelEntry): void {
    this.#entries.set(entry.path, entry);
  }

  /** Drops the entry, unless its key now holds another (a later load of the same file). */
  remove(entry: ModelEntry): void {
    if (this.#entries.get(entry.path) === entry) this.#entries.delete(entry.path);
  }

  clear(): void {
    this.#entries.clear();
  }

  values(): ModelEntry[] {
    return [...this.#entries.values()];
  }

  /** The entry a request's reference names: by alias for a path, by name otherwise. */
  find(reference: string): ModelEntry | undefined {
    return ModelTable.isPath(reference) ? this.#findByAlias(reference) : this.findByName(reference);
  }

  /** The entry named `name`, failing as a lookup does when there is none or it failed. */
  usable(name: string): ModelEntry {
    const entry = this.findByName(name);
    if (!entry) throw ModelTable.notLoaded(name);
    if (entry.state === "failed") throw ModelTable.failed(entry);
    return entry;
  }

  findByName(name: string): ModelEntry | undefined {
    for (const entry of this.#entries.values()) if (entry.name === name) return entry;
    return undefined;
  }

  #findByAlias(reference: string): ModelEntry | undefined {
    for (const entry of this.#entries.values()) if (entry.aliases.has(reference)) return entry;
    return undefined;
  }
}
