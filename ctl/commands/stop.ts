import type { Argv, CommandModule } from "yargs";
import type { GlobalArgs } from "../GlobalArgs.js";
import { toModelReference } from "../model/toModelReference.js";
import { NtClient } from "../NtClient.js";

interface StopArgs extends GlobalArgs {
  model: string;
}

/**
 * `ntctl stop <model>` (alias `unload`): unloads a model as `ollama stop` does; its requests in
 * flight end with NT_E_CANCELLED. (`ntctl cancel` cancels the requests and keeps the model.)
 */
export const stopCommand: CommandModule<GlobalArgs, StopArgs> = {
  command: "stop <model>",
  aliases: ["unload"],
  describe: "Unload a model from the daemon, as ollama stop (its requests in flight are cancelled)",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("model", { type: "string", demandOption: true, describe: "A loaded model's name, or its .gguf file" }) as Argv<StopArgs>,
  handler: async (argv) => {
    const client = await NtClient.connect({ socketPath: argv.socket });
    try {
      const { name } = await client.request("unload", { model: toModelReference(argv.model) });
      process.stdout.write(argv.json ? `${JSON.stringify({ name })}\n` : `unloaded ${name}\n`);
    } finally {
      client.close();
    }
  },
};
