import { readFile } from "node:fs/promises";
import { llamaComparisonTable } from "./bench/llamaComparisonTable.js";

/** compareWithLlama NT_BENCH.json LLAMA_BENCH.json: prints both tools' figures and the ratio (scripts/benchGpu.sh). */
async function main(): Promise<void> {
  const [ours, theirs] = process.argv.slice(2);
  if (!ours || !theirs) {
    process.stderr.write("usage: compareWithLlama NT_BENCH.json LLAMA_BENCH.json\n");
    process.exitCode = 2;
    return;
  }
  process.stdout.write(llamaComparisonTable(await readFile(ours, "utf8"), await readFile(theirs, "utf8")) + "\n");
}

await main();
