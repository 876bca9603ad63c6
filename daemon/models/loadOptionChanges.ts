import { DEFAULT_KV_TYPE, LOAD_OPTION_KEYS, MIN_STAGING_SLOTS, type LoadOptions } from "../../protocol/verbs/loadOptions.js";

/** What a model held was loaded with, as loadOptionChanges compares it. */
export interface HeldLoad {
  /** The name it is held under. */
  name: string;
  /** The load options its load used: the load's own, else the daemon's defaults at that time. */
  effective: LoadOptions;
  /**
   * What the engine made of the options it chose itself (context, threads, the backend "auto"
   * picked); unknown ones absent. A request asking for exactly these needs no reload.
   */
  actual: Pick<LoadOptions, "nCtx" | "threads"> & { backend?: "cpu" | "cuda" };
}

/** One option a request gives that the model held does not have. */
export interface LoadOptionChange {
  /** The protocol's field name ("nCtx", "vramBudget", "name"). */
  option: keyof LoadOptions | "name";
  /** What the model has; undefined: the engine's default, value unknown. */
  held: string | number | boolean | undefined;
  /** What the request asks for. */
  given: string | number | boolean;
}

/**
 * The options a load (or a `generate`/`chat` carrying load options) asks for that the model held
 * does not have: a non-empty answer means the model must be reloaded to honour them. Only the
 * options the request gives count (an absent one accepts whatever the model has, as a load by name
 * does), and one matches when it equals what the load used or what the engine made of it (context
 * 4096 asked of a model whose default context came out as 4096 is no change).
 */
export function loadOptionChanges(given: LoadOptions & { name?: string }, held: HeldLoad): LoadOptionChange[] {
  const changes: LoadOptionChange[] = [];
  if (given.name !== undefined && given.name !== held.name) changes.push({ option: "name", held: held.name, given: given.name });
  for (const key of LOAD_OPTION_KEYS) {
    const value = given[key];
    if (value === undefined) continue;
    const used = held.effective[key] ?? defaultOf(key);
    const actual = key === "nCtx" || key === "threads" || key === "backend" ? held.actual[key] : undefined;
    if (value !== used && value !== actual) changes.push({ option: key, held: actual ?? used, given: value });
  }
  return changes;
}

/** The engine's default of an option whose default is a fixed value; undefined where it depends on the machine or model. */
function defaultOf(key: keyof LoadOptions): string | number | boolean | undefined {
  if (key === "backend") return "auto";
  if (key === "dualPath") return "auto";
  if (key === "recalibrate") return false;
  if (key === "kvType") return DEFAULT_KV_TYPE;
  if (key === "stagingSlots") return MIN_STAGING_SLOTS;
  return undefined;
}
