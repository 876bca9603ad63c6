import type { Argv, CommandModule } from "yargs";
import type { GlobalArgs } from "../GlobalArgs.js";
import { formatHelperDevices } from "../helper/formatHelperDevices.js";
import { HelperClient } from "../../protocol/helper/HelperClient.js";
import { helperSocketOption } from "../helper/helperSocketOption.js";

interface RestoreArgs extends GlobalArgs {
  bdf?: string;
  "helper-socket": string;
}

/** `ntctl restore [BDF]`: gives a device (or every allowlisted one) back to the nvme driver; safe to repeat. */
export const restoreCommand: CommandModule<GlobalArgs, RestoreArgs> = {
  command: "restore [bdf]",
  describe: "Give an NVMe device (default: every allowlisted one) back to the nvme driver (through nt-nvme-helper)",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("bdf", { type: "string", describe: "PCI address, e.g. 0000:01:00.0; default: all allowlisted devices" })
    .option("helper-socket", helperSocketOption) as Argv<RestoreArgs>,
  handler: async (argv) => {
    const client = await HelperClient.connect(argv["helper-socket"]);
    try {
      const { devices } = await client.request("restore", argv.bdf === undefined ? {} : { device: argv.bdf });
      process.stdout.write(argv.json ? `${JSON.stringify({ devices })}\n` : formatHelperDevices(devices));
    } finally {
      client.close();
    }
  },
};
