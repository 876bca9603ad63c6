import type { Argv, CommandModule } from "yargs";
import type { GlobalArgs } from "../GlobalArgs.js";
import { formatHelperDevices } from "../helper/formatHelperDevices.js";
import { HelperClient } from "../../protocol/helper/HelperClient.js";
import { helperSocketOption } from "../helper/helperSocketOption.js";

interface DevicesArgs extends GlobalArgs {
  "helper-socket": string;
}

/** `ntctl devices`: nt-nvme-helper's allowlisted devices as they are now (its `status` verb). */
export const devicesCommand: CommandModule<GlobalArgs, DevicesArgs> = {
  command: "devices",
  describe: "List the NVMe devices nt-nvme-helper may use: driver, IOMMU group, identity, block devices",
  builder: (yargs) => (yargs as Argv<GlobalArgs>).option("helper-socket", helperSocketOption) as Argv<DevicesArgs>,
  handler: async (argv) => {
    const client = await HelperClient.connect(argv["helper-socket"]);
    try {
      const { devices } = await client.request("status", {});
      process.stdout.write(argv.json ? `${JSON.stringify({ devices })}\n` : formatHelperDevices(devices));
    } finally {
      client.close();
    }
  },
};
