import path from "node:path";
import type { CommandModule } from "yargs";
import { loadEngine } from "../../cuda-engine/js/loadEngine.js";
import { NtError } from "../../protocol/NtError.js";
import type { GlobalArgs } from "../GlobalArgs.js";
import { formatInspectReport } from "../inspect/formatInspectReport.js";
import { summarizeGguf } from "../inspect/summarizeGguf.js";

interface InspectArgs extends GlobalArgs {
  file: string;
}

/** JSON has no bigint; none should reach here (summarizeGguf converts them), but never throw on one. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/**
 * `ntctl inspect <file.gguf>`: an offline verb (DESIGN §6) — it reads the file through the engine's
 * GGUF reader in this process, without a daemon, and never reads the weights.
 */
export const inspectCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: "inspect <file>",
  describe: "Describe a GGUF file: architecture, hyper-parameters, tokenizer, tensors, sizes",
  // Offline: no daemon, so the global --socket means nothing here (hidden from this help).
  builder: (yargs) => yargs.hide("socket").positional("file", { type: "string", demandOption: true, describe: "Path to a .gguf file" }),
  handler: async (argv) => {
    const file = path.resolve(argv.file);
    const header = await loadEngine().readGguf(file).catch((err: unknown) => {
      throw NtError.from(err);
    });
    const report = summarizeGguf(file, header);
    process.stdout.write(argv.json ? `${JSON.stringify(report, jsonReplacer, 2)}\n` : formatInspectReport(report));
  },
};
