import { LOAD_OPTION_KEYS, type LoadOptions } from "../../protocol/verbs/loadOptions.js";

/**
 * A `generate` or `chat` request's load options apart from its other fields, so the load options
 * go to the registry (which loads or reloads with them) and the rest to the generation.
 */
export function splitLoadOptions<P extends LoadOptions>(params: P): [LoadOptions, Omit<P, keyof LoadOptions>] {
  const load: LoadOptions = {};
  const rest: Record<string, unknown> = { ...params };
  for (const key of LOAD_OPTION_KEYS) {
    if (params[key] !== undefined) Object.assign(load, { [key]: params[key] });
    delete rest[key];
  }
  return [load, rest as Omit<P, keyof LoadOptions>];
}
