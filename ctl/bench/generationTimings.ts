import type { NativeModel, NativeTimings } from "../../cuda-engine/js/EngineBinding.js";
import { NtError, isNtErrorCode } from "../../protocol/NtError.js";

/**
 * Runs one greedy generation of exactly maxTokens tokens (end-of-generation ignored, as
 * llama-bench) and resolves with the engine's timings; any other ending is an error.
 */
export function generationTimings(model: NativeModel, prompt: number[], maxTokens: number): Promise<NativeTimings> {
  return new Promise((resolve, reject) => {
    model.generate({ prompt, maxTokens, temperature: 0, ignoreEos: true }, (event) => {
      if (event.type !== "done") return;
      if (event.reason === "length") return resolve(event.timings);
      const code = isNtErrorCode(event.code) ? event.code : "NT_E_INTERNAL";
      reject(new NtError(code, `benchmark generation ended with "${event.reason}"${event.message ? `: ${event.message}` : ""}`));
    });
  });
}
