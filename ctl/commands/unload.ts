import type { Argv, CommandModule } from "yargs";
import type { GlobalArgs } from "../GlobalArgs.js";
import { toModelReference } from "../model/toModelReference.js";
import { NtClient } from "../NtClient.js";

interface UnloadArgs extends GlobalArgs {
  model: string;
}

/** `ntctl unload <model>`: frees a model; its requests in flight end with NT_E_CANCELLED. */
export const unloadCommand: CommandModule<GlobalArgs, UnloadArgs> = {
  command: "unload <model>",
  describe: "Unload a model from the daemon (its requests in flight are cancelled)",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("model", { type: "string", demandOption: true, describe: "A loaded model's name, or its .gguf file" }) as Argv<UnloadArgs>,
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
