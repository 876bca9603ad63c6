import type { Argv, CommandModule } from "yargs";
import type { VerbResult } from "../../protocol/verbs.js";
import type { StorageBackend } from "../../protocol/verbs/storageBackend.js";
import { formatBytes } from "../format.js";
import type { GlobalArgs } from "../GlobalArgs.js";
import { loadOptions, loadOptionsOf, type LoadArgs } from "../model/loadFlags.js";
import { loadModel } from "../model/loadModel.js";
import { NtClient } from "../NtClient.js";
import { formatPlacement } from "../status/formatPlacement.js";

interface LoadCommandArgs extends GlobalArgs, LoadArgs {
  model: string;
  name?: string;
  storage?: StorageBackend;
}

/**
 * `ntctl load <model>`: has the daemon load a model (progress on stderr when it is a terminal); a
 * model held with other options than the flags given is reloaded with them when idle.
 */
export const loadCommand: CommandModule<GlobalArgs, LoadCommandArgs> = {
  command: "load <model>",
  describe: "Load a model into the daemon (one already loaded with other options is reloaded when idle)",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("model", { type: "string", demandOption: true, describe: "A .gguf file, or the name of a loaded model (with --storage raw or vfio: a placed image's name)" })
    .option("storage", {
      choices: ["file", "raw", "vfio"] as const,
      describe: "Where the weights are read from: file (default); raw: <model> names an image placed with `ntctl place` on a raw block device, opened by the daemon through nt-nvme-helper; vfio: that image on a device bound to vfio-pci (`ntctl bind`), read by nt-nvme-helper's own NVMe driver into shared buffers (its data plane)",
    })
    .option("name", { type: "string", describe: "The name to load it under (default: the file name without .gguf)" })
    .options(loadOptions) as Argv<LoadCommandArgs>,
  handler: async (argv) => {
    const client = await NtClient.connect({ socketPath: argv.socket });
    try {
      const loaded = await loadModel(client, argv.model, {
        load: loadOptionsOf(argv), name: argv.name, storage: argv.storage, keepAlive: argv.keepAlive, showProgress: !argv.json && process.stderr.isTTY,
      });
      process.stdout.write(`${argv.json ? JSON.stringify(loaded, null, 2) : describeLoad(loaded)}\n`);
    } finally {
      client.close();
    }
  },
};

/** What a load did, for people: the model's facts, then its placement when the engine reports one. */
function describeLoad(loaded: VerbResult<"load">): string {
  const { info } = loaded;
  const line = `loaded ${loaded.name}: ${info.architecture}${info.backend ? ` on ${info.backend}` : ""}, ${info.nLayer} layers, `
    + `${formatBytes(info.weightBytes)} of weights, context ${info.nCtx}, chat ${info.chatFormat ?? "none"} (${loaded.path})`;
  return info.placement ? `${line}\n${formatPlacement(info.placement)}` : line;
}
