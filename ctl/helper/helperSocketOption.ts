import type { Options } from "yargs";
import { defaultHelperSocketPath } from "../../protocol/helper/defaultHelperSocketPath.js";

/** The `--helper-socket` option of the commands that talk to nt-nvme-helper rather than ntd. */
export const helperSocketOption = {
  type: "string" as const,
  default: defaultHelperSocketPath(),
  describe: "nt-nvme-helper's Unix socket (default: $NT_HELPER_SOCKET, else /run/nt-nvme-helper/helper.sock)",
} satisfies Options;
