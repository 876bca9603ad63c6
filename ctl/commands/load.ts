import type { Argv, CommandModule } from "yargs";
import { formatBytes } from "../format/formatBytes.js";
import type { GlobalArgs } from "../GlobalArgs.js";
import type { LoadArgs } from "../model/LoadArgs.js";
import { loadModel } from "../model/loadModel.js";
import { loadOptions } from "../model/loadOptions.js";
import { NtClient } from "../NtClient.js";

interface LoadCommandArgs extends GlobalArgs, LoadArgs {
  model: string;
  name?: string;
}

/** `ntctl load <model>`: has the daemon load a model (progress on stderr when it is a terminal). */
export const loadCommand: CommandModule<GlobalArgs, LoadCommandArgs> = {
  command: "load <model>",
  describe: "Load a model into the daemon (a model already loaded is left as it is)",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("model", { type: "string", demandOption: true, describe: "A .gguf file, or the name of a loaded model" })
    .option("name", { type: "string", describe: "The name to load it under (default: the file name without .gguf)" })
    .options(loadOptions) as Argv<LoadCommandArgs>,
  handler: async (argv) => {
    const client = await NtClient.connect({ socketPath: argv.socket });
    try {
      const loaded = await loadModel(client, argv.model, {
        name: argv.name, ctxSize: argv.ctxSize, threads: argv.threads, keepAlive: argv.keepAlive,
        showProgress: !argv.json && process.stderr.isTTY,
      });
      const { info } = loaded;
      process.stdout.write(argv.json ? `${JSON.stringify(loaded, null, 2)}\n`
        : `loaded ${loaded.name}: ${info.architecture}, ${info.nLayer} layers, ${formatBytes(info.weightBytes)} of weights, `
          + `context ${info.nCtx}, chat ${info.chatFormat ?? "none"} (${loaded.path})\n`);
    } finally {
      client.close();
    }
  },
};
