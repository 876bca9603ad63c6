import type { CommandModule } from "yargs";
import type { GlobalArgs } from "../GlobalArgs.js";
import { NtClient } from "../NtClient.js";
import { formatModelTable } from "../status/formatStatus.js";

/** `ntctl ps`: the models the daemon holds, as a table (like `ollama ps`); `status` has the rest. */
export const psCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: "ps",
  describe: "List the daemon's models: state, size, context, requests, speed and when each is unloaded",
  handler: async (argv) => {
    const client = await NtClient.connect({ socketPath: argv.socket });
    try {
      const { models } = await client.request("status", {}, { timeoutMs: 10_000 });
      process.stdout.write(argv.json ? `${JSON.stringify({ models }, null, 2)}\n` : `${formatModelTable(models, Date.now())}\n`);
    } finally {
      client.close();
    }
  },
};
