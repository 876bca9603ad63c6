import { createRequire } from "node:module";
import { NtError } from "./NtError.js";

/**
 * The first of `candidates` (absolute paths of .node files: the dist/ layout and the source
 * layout) that loads, or NT_E_INTERNAL with `missing` (what the addon is for and how to build it)
 * and why each candidate failed. For the addons Node cannot do without: helper.sock's transport
 * and the helper's privileged primitives.
 */
export function loadNativeAddon<T>(candidates: string[], missing: string): T {
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const candidate of candidates) {
    try {
      return require(candidate) as T;
    } catch (err) {
      errors.push(`${candidate}: ${(err as Error).message}`);
    }
  }
  throw new NtError("NT_E_INTERNAL", `${missing}. Tried ${errors.join("; ")}`);
}
