import { loadEngine } from "../../cuda-engine/js/loadEngine.js";

/** Why the real engine cannot run here (a test's skip reason), or undefined when it can. */
export function engineMissing(): string | undefined {
  try {
    return typeof loadEngine().loadModel === "function" ? undefined : "the engine addon predates model loading";
  } catch (err) {
    return `the engine addon does not load: ${(err as Error).message}`;
  }
}
