import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import cliProgress from "cli-progress";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { countOf } from "../protocol/countOf.js";
import { describeLlamaModel, formatBytes, llamaLayoutSummary } from "./gguf/describeLlamaModel.js";
import type { GgufWriteProgress } from "./gguf/GgufWriter.js";
import { llamaShapes, type LlamaShapeName } from "./gguf/llamaShapes.js";
import { llamaWeightMixes, type LlamaWeightMixName } from "./gguf/llamaWeightMixes.js";
import { randomLlamaWriter } from "./gguf/randomLlamaWriter.js";
import { resolveLlamaModel, type RandomLlamaOptions } from "./gguf/resolveLlamaModel.js";

const usage = "$0 --out FILE [--shape tiny|1b|8b|70b|405b] [--mix NAME] [--arch llama|qwen2] [--vocab spm|bpe] "
  + "[--tied-output] [--kv-heads N] [--layers N] [--rope-scaling none|llama3] [--seed N] [--dry-run]\n\n"
  + "Writes a llama-family GGUF with random weights that llama.cpp loads and runs. Options left out take the "
  + "shape's defaults, the real model's: 1b has a tied output head, 8b/70b/405b llama3 RoPE scaling, all but "
  + "tiny Llama 3's BPE vocabulary. --dry-run prints the layout and size without writing.";

/** Writes (or with --dry-run, lays out) a random-weight model; see `usage`. */
async function main(): Promise<void> {
  const args = await yargs(hideBin(process.argv))
    .scriptName("generateModel")
    .usage(usage)
    .option("out", { type: "string", describe: "GGUF file to write (parent folders are created)" })
    .option("shape", { choices: Object.keys(llamaShapes), default: "tiny", describe: "model dimensions and defaults" })
    .option("mix", { choices: Object.keys(llamaWeightMixes), default: "f32", describe: "tensor types of the weight matrices" })
    .option("arch", { choices: ["llama", "qwen2"] as const, default: "llama" as const, describe: "architecture" })
    .option("vocab", { choices: ["spm", "bpe"] as const, describe: "llama tokenizer [default: the shape's]" })
    .option("tied-output", { type: "boolean", describe: "no output.weight: token_embd is the output head [default: the shape's]" })
    .option("kv-heads", { type: "number", describe: "key/value heads (= head count: no GQA) [default: the shape's]" })
    .option("layers", { type: "number", describe: "transformer blocks, 1..1024 [default: the shape's]" })
    .option("rope-scaling", { choices: ["none", "llama3"] as const, describe: "RoPE scaling [default: the shape's]" })
    .option("seed", { type: "number", default: 1, describe: "seed of the random weights" })
    .option("dry-run", { type: "boolean", default: false, describe: "print the layout and size, write nothing" })
    .check((argv) => Number.isSafeInteger(argv.seed) || "--seed must be an integer")
    .check((argv) => argv["dry-run"] || argv.out !== undefined || "--out is required unless --dry-run")
    .strict()
    .parseAsync();

  const options: RandomLlamaOptions = {
    shape: args.shape as LlamaShapeName,
    mix: args.mix as LlamaWeightMixName,
    seed: args.seed,
    arch: args.arch,
    vocab: args.vocab,
    tiedOutput: args["tied-output"],
    kvHeads: args["kv-heads"],
    layers: args.layers,
    ropeScaling: args["rope-scaling"],
  };
  const spec = resolveLlamaModel(options);
  const writer = randomLlamaWriter(options);
  if (args["dry-run"]) {
    for (const line of llamaLayoutSummary(spec, writer.layout())) console.log(line);
    return;
  }
  const out = args.out as string;
  await mkdir(dirname(out), { recursive: true });
  const bar = process.stderr.isTTY ? progressBar() : undefined;
  let layout;
  try {
    layout = await writer.writeToFile(out, { onProgress: bar?.update });
  } finally {
    bar?.stop();
  }
  console.log(`wrote ${out}: ${layout.fileSize} bytes, ${countOf(layout.tensors.length, "tensor")} `
    + `(${describeLlamaModel(spec)}, seed ${options.seed})`);
}

/** A stderr progress bar: bytes written of the total, write rate and time left. */
function progressBar(): { update: (progress: GgufWriteProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({
    format: "writing [{bar}] {percentage}% | {written} of {size} | {rate}/s | ETA {eta_formatted}",
    // Chunks come every MiB or so; averaging over many of them keeps the ETA steady.
    etaBuffer: 500,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  let running = false;
  return {
    update: ({ bytesWritten, totalBytes }) => {
      const seconds = (performance.now() - started) / 1000;
      const payload = {
        written: formatBytes(bytesWritten),
        size: formatBytes(totalBytes),
        rate: formatBytes(seconds > 0 ? Math.round(bytesWritten / seconds) : 0),
      };
      if (!running) {
        bar.start(totalBytes, bytesWritten, payload);
        running = true;
      } else {
        bar.update(bytesWritten, payload);
      }
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}

main().catch((error: unknown) => {
  console.error(`generateModel: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
