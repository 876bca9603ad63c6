import type { NativeModel } from "../../cuda-engine/js/EngineBinding.js";

/** n greedy tokens after `prompt`, ignoring end-of-generation tokens. */
export function greedyTokens(model: NativeModel, prompt: number[], n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const tokens: number[] = [];
    model.generate({ prompt, maxTokens: n, temperature: 0, ignoreEos: true }, (event) => {
      if (event.type === "token") tokens.push(event.token);
      else if (event.reason === "length") resolve(tokens);
      else reject(new Error(`generation ended with ${event.reason}: ${event.message ?? ""}`));
    });
  });
}
