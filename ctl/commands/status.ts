import type { CommandModule } from "yargs";
import type { GlobalArgs } from "../GlobalArgs.js";
import { NtClient } from "../NtClient.js";
import { formatStatus } from "../status/formatStatus.js";

/** `ntctl status`: the daemon's version, uptime, models and devices. */
export const statusCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: "status",
  describe: "Show the daemon's state, loaded models and compute devices",
  handler: async (argv) => {
    const client = await NtClient.connect({ socketPath: argv.socket });
    try {
      const status = await client.request("status", {}, { timeoutMs: 10_000 });
      process.stdout.write(`${argv.json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`);
    } finally {
      client.close();
    }
  },
};
