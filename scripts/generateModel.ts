import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { GgufWriteProgress } from "./gguf/GgufWriter.js";
import { llamaShapes, type LlamaShapeName } from "./gguf/llamaShapes.js";
import { llamaWeightMixes, type LlamaWeightMixName } from "./gguf/llamaWeightMixes.js";
import { randomLlamaWriter } from "./gguf/randomLlamaWriter.js";

/** Writes a random-weight llama GGUF: `node dist/scripts/generateModel.js --out FILE [--shape] [--mix] [--seed]`. */
async function main(): Promise<void> {
  const args = await yargs(hideBin(process.argv))
    .scriptName("generateModel")
    .usage("$0 --out FILE [--shape tiny] [--mix f32] [--seed 1]\n\nWrites a llama-architecture GGUF with random weights.")
    .option("out", { type: "string", demandOption: true, describe: "GGUF file to write (parent folders are created)" })
    .option("shape", { choices: Object.keys(llamaShapes), default: "tiny", describe: "model shape" })
    .option("mix", { choices: Object.keys(llamaWeightMixes), default: "f32", describe: "tensor types of the weight matrices" })
    .option("seed", { type: "number", default: 1, describe: "seed of the random weights" })
    .check((argv) => Number.isSafeInteger(argv.seed) || "--seed must be an integer")
    .strict()
    .parseAsync();

  const options = { shape: args.shape as LlamaShapeName, mix: args.mix as LlamaWeightMixName, seed: args.seed };
  const writer = randomLlamaWriter(options);
  await mkdir(dirname(args.out), { recursive: true });
  const layout = await writer.writeToFile(args.out, { onProgress: process.stderr.isTTY ? progressLine() : undefined });
  if (process.stderr.isTTY) process.stderr.write("\n");
  console.log(`wrote ${args.out}: ${layout.fileSize} bytes, ${layout.tensors.length} tensors `
    + `(llama ${options.shape}, mix ${options.mix}, seed ${options.seed})`);
}

/** A progress reporter that redraws one stderr line when the whole percentage changes. */
function progressLine(): (progress: GgufWriteProgress) => void {
  let shown = -1;
  return ({ bytesWritten, totalBytes }) => {
    const percent = Math.floor((100 * bytesWritten) / totalBytes);
    if (percent === shown) return;
    shown = percent;
    process.stderr.write(`\rwriting ${percent}% of ${totalBytes} bytes`);
  };
}

main().catch((error: unknown) => {
  console.error(`generateModel: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
