import { openSync } from "node:fs";
import { SingleBar } from "cli-progress";
import type { Argv, CommandModule } from "yargs";
import { NtError } from "../../protocol/NtError.js";
import { formatBytes } from "../format.js";
import type { GlobalArgs } from "../GlobalArgs.js";
import { HelperClient } from "../../protocol/helper/HelperClient.js";
import { helperSocketOption } from "../helper/helperSocketOption.js";

interface PlaceArgs extends GlobalArgs {
  model: string;
  device: string;
  name?: string;
  "helper-socket": string;
}

/**
 * `ntctl place model.gguf --device BDF [--name N]`: writes a GGUF into an allowlisted device's
 * image area through nt-nvme-helper. ntctl opens the file read-only itself and passes the open fd
 * (SCM_RIGHTS), so the helper only ever gets what this user could read. A bar on a TTY (stderr).
 */
export const placeCommand: CommandModule<GlobalArgs, PlaceArgs> = {
  command: "place <model>",
  describe: "Write a GGUF into an allowlisted NVMe device's image area (through nt-nvme-helper), verified by read-back",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("model", { type: "string", demandOption: true, describe: "the GGUF file" })
    .option("device", { type: "string", demandOption: true, describe: "PCI address of the allowlisted device, e.g. 0000:01:00.0" })
    .option("name", { type: "string", describe: "label stored in the image header (default: the file name without .gguf)" })
    .option("helper-socket", helperSocketOption) as Argv<PlaceArgs>,
  handler: async (argv) => {
    const name = argv.name ?? defaultName(argv.model);
    let fd: number;
    try {
      fd = openSync(argv.model, "r");
    } catch (err) {
      throw new NtError("NT_E_IO", `cannot open ${argv.model}: ${(err as Error).message}`, { cause: err });
    }
    const client = await HelperClient.connect(argv["helper-socket"]);
    const bar = !argv.json && process.stderr.isTTY
      ? new SingleBar({ format: "placing [{bar}] {percentage}% {doneText} / {totalText}", stream: process.stderr, hideCursor: true })
      : undefined;
    let started = false;
    try {
      const { device, image } = await client.place({ device: argv.device, name }, fd, (done, total) => {
        if (!bar) return;
        const texts = { doneText: formatBytes(done), totalText: formatBytes(total) };
        if (!started) bar.start(total, done, texts);
        else bar.update(done, texts);
        started = true;
      });
      bar?.stop();
      process.stdout.write(argv.json ? `${JSON.stringify({ device, image })}\n`
        : `${device}: placed ${image.name} (${formatBytes(image.sizeBytes)}, sha256 ${image.sha256})\n`);
    } finally {
      if (started) bar?.stop();
      client.close();
    }
  },
};

/**
 * "models/llama-7b.Q4_K_M.gguf" → "llama-7b.Q4_K_M", with anything the helper's name rule
 * (imageNameSchema) refuses replaced by "_": another character, or a leading "." or "-".
 */
function defaultName(file: string): string {
  const base = file.split("/").pop() ?? file;
  return base.replace(/\.gguf$/i, "").replace(/[^A-Za-z0-9._-]/g, "_").replace(/^[.-]/, "_").slice(0, 128) || "model";
}
