import type { Argv, CommandModule } from "yargs";
import type { GlobalArgs } from "../GlobalArgs.js";
import { toModelReference } from "../model/toModelReference.js";
import { NtClient } from "../NtClient.js";

interface CancelArgs extends GlobalArgs {
  model: string;
}

/**
 * `ntctl cancel <model>`: cancels every request in flight on a model, from every client (each ends
 * with NT_E_CANCELLED); the model stays loaded. (`ntctl stop` unloads it, as `ollama stop` does.)
 */
export const cancelCommand: CommandModule<GlobalArgs, CancelArgs> = {
  command: "cancel <model>",
  describe: "Cancel every request in flight on a model (it stays loaded; see stop)",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("model", { type: "string", demandOption: true, describe: "A loaded model's name, or its .gguf file" }) as Argv<CancelArgs>,
  handler: async (argv) => {
    const client = await NtClient.connect({ socketPath: argv.socket });
    try {
      const result = await client.request("cancelAll", { model: toModelReference(argv.model) });
      process.stdout.write(argv.json ? `${JSON.stringify(result)}\n`
        : `cancelled ${result.cancelled} request${result.cancelled === 1 ? "" : "s"} of ${result.name}\n`);
    } finally {
      client.close();
    }
  },
};
