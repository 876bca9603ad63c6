import type { Options } from "yargs";
import { byteSizeOption } from "./byteSizeOption.js";

/**
 * The yargs declarations of where a load puts the weights (backend, budgets, staging ring), for
 * the verbs that load: `load`, `run` and `chat` through the daemon (`when` = ", if this loads the
 * model") and `bench` in-process (`when` = "").
 */
export function placementOptions(when: string) {
  return {
    backend: {
      choices: ["auto", "cpu", "cuda"] as const,
      describe: `Backend${when}: cuda, cpu, or auto = CUDA when usable (default: auto)`,
    },
    "vram-budget": {
      type: "string", requiresArg: true, coerce: byteSizeOption("--vram-budget"),
      describe: `Device memory the model may take${when}: "24GiB", "1.5GB", bytes (default: free memory less a margin)`,
    },
    "pinned-budget": {
      type: "string", requiresArg: true, coerce: byteSizeOption("--pinned-budget"),
      describe: `Pinned host RAM for weights copied each pass and staging${when}: "64GiB", bytes (default: the engine's)`,
    },
    "staging-slots": {
      type: "number", requiresArg: true,
      describe: `Staging buffers between storage reads and device copies (>= 3; prefetch depth + 1)${when} (default 3)`,
    },
  } as const satisfies Record<string, Options>;
}
