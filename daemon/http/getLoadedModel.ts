import { NtError } from "../../protocol/NtError.js";
import type { LoadedModel } from "../models/LoadedModel.js";
import type { ModelRegistry } from "../models/ModelRegistry.js";

/**
 * The loaded model an HTTP request names (its name or the path it was loaded from). HTTP never
 * loads a model on demand, unlike the socket's `load`: the loopback port is open to every local
 * user, while ntd.sock is limited to the `nt` group, and a load reads any file the daemon can read
 * and takes its memory. A model not loaded is NT_E_MODEL_NOT_FOUND (404), saying how to load it.
 */
export async function getLoadedModel(registry: ModelRegistry, reference: string, signal: AbortSignal): Promise<LoadedModel> {
  try {
    return await registry.get(reference, signal);
  } catch (err) {
    const error = NtError.from(err);
    if (error.code !== "NT_E_MODEL_NOT_FOUND") throw error;
    throw new NtError("NT_E_MODEL_NOT_FOUND",
      `${error.message}; the HTTP API serves loaded models only: load it with "ntctl load /path/to/model.gguf"`);
  }
}
