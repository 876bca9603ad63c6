import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import type { EngineBinding } from "./EngineBinding.js";

let cached: EngineBinding | undefined;

/** Where cmake-js puts the addon: cuda-engine/build/Release, two folders above dist/cuda-engine/js. */
function defaultAddonPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, "../../../cuda-engine/build/Release/nt_engine.node");
}

/**
 * Loads the native engine once per process. NT_ENGINE_ADDON overrides the path (used to test a
 * second build, such as the CPU-only variant, side by side).
 */
export function loadEngine(): EngineBinding {
  if (cached) return cached;
  const addonPath = process.env.NT_ENGINE_ADDON ?? defaultAddonPath();
  try {
    cached = createRequire(import.meta.url)(addonPath) as EngineBinding;
  } catch (err) {
    throw new NtError("NT_E_ENGINE_UNAVAILABLE",
      `cannot load the engine addon ${addonPath}: ${(err as Error).message} (build it with "npm run build:native")`);
  }
  return cached;
}
