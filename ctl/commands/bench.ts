import path from "node:path";
import type { Argv, CommandModule } from "yargs";
import { loadEngine } from "../../cuda-engine/js/loadEngine.js";
import { NtError } from "../../protocol/NtError.js";
import type { BenchOptions } from "../bench/BenchOptions.js";
import type { BenchModel, BenchReport } from "../bench/BenchReport.js";
import { benchModel } from "../bench/benchModel.js";
import { formatBenchTable } from "../bench/formatBenchTable.js";
import type { GlobalArgs } from "../GlobalArgs.js";
import { placementOptions } from "../model/loadFlags.js";

interface BenchArgs extends GlobalArgs {
  files: string[];
  backend?: BenchOptions["backend"];
  vramBudget?: number;
  pinnedBudget?: number;
  stagingSlots?: number;
  dualPath?: BenchOptions["dualPath"];
  kvType?: BenchOptions["kvType"];
  nPrompt: number;
  nGen: number;
  repetitions: number;
  threads?: number;
  parallel: number[];
  parallelPrompt: number;
  parallelGen: number;
}

/**
 * `ntctl bench FILE...`: an offline verb (DESIGN §6) — llama-bench's pp and tg tests on the
 * engine loaded in this process, no daemon, each figure beside its bound from the performance
 * model of DESIGN §3, as cuda-engine's nt-bench prints them.
 */
export const benchCommand: CommandModule<GlobalArgs, BenchArgs> = {
  command: "bench <files..>",
  describe: "Benchmark GGUF files in this process (no daemon): prompt and generation tokens/s beside their bounds",
  // Offline: no daemon, so the global --socket means nothing here (hidden from this help).
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .hide("socket")
    .positional("files", { type: "string", array: true, demandOption: true, describe: "Paths to .gguf files" })
    .options({
      ...placementOptions(""),
      "n-prompt": {
        alias: "p", type: "number", default: 512, requiresArg: true, coerce: positiveIntegerOption("-p/--n-prompt"),
        describe: "pp test: prompt tokens, processed in one pass",
      },
      "n-gen": {
        alias: "n", type: "number", default: 128, requiresArg: true, coerce: positiveIntegerOption("-n/--n-gen"),
        describe: "tg test: tokens generated one per pass after a one-token prompt",
      },
      repetitions: {
        alias: "r", type: "number", default: 3, requiresArg: true, coerce: positiveIntegerOption("-r/--repetitions"),
        describe: "Timed repetitions of each test, after one warm-up",
      },
      threads: {
        alias: "t", type: "number", requiresArg: true, coerce: positiveIntegerOption("-t/--threads"),
        describe: "CPU threads (default: all)",
      },
      parallel: {
        type: "string", default: "", requiresArg: true, coerce: positiveIntegerList("--parallel"),
        describe: "Batched tests: N sequences decoding together, for each N of a list (\"1,4,16\"), beside N x the tg bound",
      },
      "parallel-prompt": {
        type: "string", default: "8", requiresArg: true, coerce: positiveIntegerOption("--parallel-prompt"),
        describe: "Batched tests: each sequence's prompt tokens",
      },
      "parallel-gen": {
        type: "string", default: "16", requiresArg: true, coerce: positiveIntegerOption("--parallel-gen"),
        describe: "Batched tests: tokens each sequence generates",
      },
    }) as unknown as Argv<BenchArgs>,
  handler: async (argv) => {
    const engine = loadEngine();
    const options: BenchOptions = {
      backend: argv.backend ?? "auto", vramBudget: argv.vramBudget, pinnedBudget: argv.pinnedBudget, stagingSlots: argv.stagingSlots,
      dualPath: argv.dualPath, kvType: argv.kvType, threads: argv.threads, promptTokens: argv.nPrompt, genTokens: argv.nGen,
      repetitions: argv.repetitions, parallel: argv.parallel, parallelPrompt: argv.parallelPrompt,
      parallelGen: argv.parallelGen,
    };
    const models: BenchModel[] = [];
    for (const file of argv.files) {
      models.push(await benchModel(engine, path.resolve(file), options, (text) => process.stderr.write(text)));
    }
    const report: BenchReport = { models };
    process.stdout.write(argv.json ? `${JSON.stringify(report, null, 2)}\n` : formatBenchTable(models));
  },
};

/**
 * A yargs coerce function for a list of counts ("1,4,16"; empty: none), each a whole number ≥ 1,
 * else a usage error naming the flag. Repeating the flag keeps the last.
 */
function positiveIntegerList(flag: string): (value: unknown) => number[] {
  const one = positiveIntegerOption(flag);
  return (value) => {
    const last = String([value].flat().at(-1) ?? "").trim();
    return last === "" ? [] : last.split(",").map((part) => one(part));
  };
}

/**
 * A yargs coerce function for a count flag (-p, -n, -r, -t): a whole number ≥ 1, else a usage
 * error (NT_E_BAD_REQUEST, exit 2) naming the flag. Repeating the flag keeps the last.
 */
function positiveIntegerOption(flag: string): (value: unknown) => number {
  return (value) => {
    const last = [value].flat().at(-1);
    const n = typeof last === "number" ? last : Number(String(last ?? "").trim() || Number.NaN);
    if (!Number.isSafeInteger(n) || n < 1) {
      // yargs has turned a word into NaN already; say what was wrong without echoing "NaN".
      const given = Number.isNaN(n) ? "" : `, not ${String(last)}`;
      throw new NtError("NT_E_BAD_REQUEST", `${flag} must be a whole number of at least 1${given} (see "ntctl --help")`);
    }
    return n;
  };
}
