import type { Argv, CommandModule } from "yargs";
import type { GlobalArgs } from "../GlobalArgs.js";
import { formatHelperDevices } from "../helper/formatHelperDevices.js";
import { HelperClient } from "../../protocol/helper/HelperClient.js";
import { helperSocketOption } from "../helper/helperSocketOption.js";

interface BindArgs extends GlobalArgs {
  bdf: string;
  "helper-socket": string;
}

/** `ntctl bind BDF`: asks nt-nvme-helper to move an allowlisted NVMe device to vfio-pci. */
export const bindCommand: CommandModule<GlobalArgs, BindArgs> = {
  command: "bind <bdf>",
  describe: "Move an allowlisted NVMe device from the nvme driver to vfio-pci (through nt-nvme-helper)",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("bdf", { type: "string", demandOption: true, describe: "PCI address, e.g. 0000:01:00.0" })
    .option("helper-socket", helperSocketOption) as Argv<BindArgs>,
  handler: async (argv) => {
    const client = await HelperClient.connect(argv["helper-socket"]);
    try {
      const { device } = await client.request("bind", { device: argv.bdf });
      process.stdout.write(argv.json ? `${JSON.stringify({ device })}\n` : formatHelperDevices([device]));
    } finally {
      client.close();
    }
  },
};
