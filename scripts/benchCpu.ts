// CPU benchmark of the engine next to llama.cpp (node-llama-cpp, test/oracle) on the same file and
// thread count, in the same run: llama-bench's pp512 and tg128, mean ± sd over repetitions.
//   node dist/scripts/benchCpu.js [--model FILE] [--threads N] [--reps 3] [--pp 512] [--tg 128] [--json]
// Without --model it generates (once) the 1B-shape Q4_K_M-like model it is meant for.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { loadLlamaCppOracle } from "../test/oracle/loadLlamaCppOracle.js";
import { randomLlamaWriter } from "./gguf/randomLlamaWriter.js";
import { measureEngine, type BenchSamples } from "./bench/measureEngine.js";

const args = await yargs(hideBin(process.argv))
  .option("model", { type: "string", describe: "GGUF to measure (default: a generated 1b q4_k_m)" })
  .option("threads", { type: "number", default: os.availableParallelism(), describe: "CPU threads for both engines" })
  .option("reps", { type: "number", default: 3 })
  .option("pp", { type: "number", default: 512 })
  .option("tg", { type: "number", default: 128 })
  .option("json", { type: "boolean", default: false })
  .strict()
  .parseAsync();

async function defaultModel(): Promise<string> {
  const file = path.resolve("build/bench/1b-q4_k_m.gguf");
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    process.stderr.write(`generating ${file} (1b shape, q4_k_m mix, random weights)...\n`);
    await randomLlamaWriter({ shape: "1b", mix: "q4_k_m", seed: 1 }).writeToFile(file);
  }
  return file;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const cell = (xs: number[]) => `${mean(xs).toFixed(2)} ± ${sd(xs).toFixed(2)}`;

const file = args.model ?? (await defaultModel());
const model = await loadEngine().loadModel(file, { threads: args.threads, nCtx: args.pp + args.tg + 16, nBatch: args.pp });
const info = model.info();
const ours = await measureEngine(model, { pp: args.pp, tg: args.tg, repetitions: args.reps });
await model.dispose();

const oracle = await loadLlamaCppOracle();
let theirs: BenchSamples[] | undefined;
if (oracle) {
  const r = await oracle.bench(file, { threads: args.threads, promptTokens: args.pp, genTokens: args.tg, repetitions: args.reps });
  theirs = [{ test: `pp${args.pp}`, samples: r.promptSamples }, { test: `tg${args.tg}`, samples: r.generationSamples }];
  await oracle.dispose();
}

const rows = ours.map((o, i) => {
  const ref = theirs?.[i];
  return { test: o.test, ntransformer: o.samples, llamaCpp: ref?.samples ?? null,
    ratio: ref ? mean(o.samples) / mean(ref.samples) : null };
});
if (args.json) {
  process.stdout.write(`${JSON.stringify({ model: file, bytes: info.weightBytes, threads: args.threads, backend: "cpu", rows }, null, 2)}\n`);
} else {
  process.stdout.write(`model ${path.basename(file)}: ${info.architecture}, ${(info.weightBytes / 2 ** 30).toFixed(2)} GiB, ` +
    `${info.nLayer} layers, backend cpu, ${args.threads} threads, ${args.reps} repetitions\n`);
  process.stdout.write(`| test | ntransformer t/s | llama.cpp t/s | ratio |\n|---|---|---|---|\n`);
  for (const r of rows) {
    process.stdout.write(`| ${r.test} | ${cell(r.ntransformer)} | ${r.llamaCpp ? cell(r.llamaCpp) : "n/a (npm run oracle:install)"} | ` +
      `${r.ratio === null ? "" : r.ratio.toFixed(2)} |\n`);
  }
}
