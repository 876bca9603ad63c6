import type { Options } from "yargs";
import { placementOptions } from "./placementOptions.js";

/** The yargs declarations behind LoadArgs; they only matter when the command is what loads the model. */
export const loadOptions = {
  "ctx-size": {
    type: "number", alias: "c",
    describe: "Context size in tokens, if this loads the model (default: the model's, at most 4096)",
  },
  threads: { type: "number", alias: "t", describe: "CPU threads, if this loads the model (default: all)" },
  "keep-alive": {
    type: "string",
    describe: 'How long the model stays loaded once idle: "10m", "30s", "1h", seconds, 0 = unload when done, -1 = never (default: the daemon\'s, 5m)',
  },
  ...placementOptions(", if this loads the model"),
} as const satisfies Record<string, Options>;
