// The table scripts/benchGpu.sh prints beside llama.cpp: test names matched across the two JSON
// formats, our figure beside its bound (the dual bound where the dual path ran), the ratio ours /
// theirs, and "—" where one side did not run a test or a bound is unknown.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { llamaComparisonTable } from "../scripts/bench/llamaComparisonTable.js";

const ntBench = JSON.stringify({
  results: [{
    model: "m.gguf",
    tests: [
      { test: "pp512", meanTokS: 9000, boundTokS: null, dualBoundTokS: null },
      { test: "tg128", meanTokS: 300, boundTokS: 600, dualBoundTokS: null },
      { test: "tg16", meanTokS: 4, boundTokS: 3, dualBoundTokS: 5 },
    ],
  }],
});
const llamaBench = JSON.stringify([
  { n_prompt: 512, n_gen: 0, avg_ts: 8000 },
  { n_prompt: 0, n_gen: 128, avg_ts: 150 },
  { n_prompt: 512, n_gen: 128, avg_ts: 400 },
]);

describe("llamaComparisonTable", () => {
  it("matches pp and tg tests and prints ours / llama.cpp's", () => {
    const lines = llamaComparisonTable(ntBench, llamaBench).split("\n");
    assert.equal(lines[2], "| pp512 | 9000.00 | — | — | 8000.00 | 1.13 × |");
    assert.equal(lines[3], "| tg128 | 300.00 | 600.00 | 50.0 % | 150.00 | 2.00 × |");
  });

  it("measures a dual-path test against the dual bound, and says so", () => {
    assert.match(llamaComparisonTable(ntBench, llamaBench), /\| tg16 \| 4\.00 \| 5\.00 dual \| 80\.0 % \| — \| — \|/);
  });

  it("shows a test only one side ran without a ratio", () => {
    assert.match(llamaComparisonTable(ntBench, llamaBench), /\| pp512\+tg128 \| — \| — \| — \| 400\.00 \| — \|/);
  });

  it("matches tests at a depth (-d) by their @d suffix", () => {
    const ours = JSON.stringify({
      results: [{ tests: [{ test: "tg32", meanTokS: 300 }, { test: "tg32@d8192", meanTokS: 240 }] }],
    });
    const theirs = JSON.stringify([
      { n_prompt: 0, n_gen: 32, n_depth: 0, avg_ts: 200 },
      { n_prompt: 0, n_gen: 32, n_depth: 8192, avg_ts: 160 },
    ]);
    const lines = llamaComparisonTable(ours, theirs).split("\n");
    assert.equal(lines[2], "| tg32 | 300.00 | — | — | 200.00 | 1.50 × |");
    assert.equal(lines[3], "| tg32@d8192 | 240.00 | — | — | 160.00 | 1.50 × |");
  });

  it("matches llama-batched-bench's JSONL rows to nt-bench --parallel's tests, at S_TG", () => {
    const ours = JSON.stringify({
      results: [{ tests: [{ test: "pp8+tg16 x1", meanTokS: 5 }, { test: "pp8+tg16 x4", meanTokS: 16, dualBoundTokS: 20 }] }],
    });
    const line = (pl: number, speedTg: number): string =>
      JSON.stringify({ n_kv_max: 4096, pp: 8, tg: 16, pl, n_kv: pl * 24, t_pp: 1, speed_pp: 8, t_tg: 2, speed_tg: speedTg, t: 3, speed: 9 });
    const lines = llamaComparisonTable(ours, `${line(1, 4)}\n${line(4, 8)}\n`).split("\n");
    assert.equal(lines[2], "| pp8+tg16 x1 | 5.00 | — | — | 4.00 | 1.25 × |");
    assert.equal(lines[3], "| pp8+tg16 x4 | 16.00 | 20.00 dual | 80.0 % | 8.00 | 2.00 × |");
    assert.throws(() => llamaComparisonTable(ours, JSON.stringify({ pl: 4, pp: 8, tg: 16 })), /lacks pl or speed_tg/);
  });

  it("refuses llama-bench output that is not its JSON array", () => {
    assert.throws(() => llamaComparisonTable(ntBench, "{}"), /expected an array/);
    assert.throws(() => llamaComparisonTable(ntBench, JSON.stringify([{ n_prompt: 1 }])), /lacks avg_ts/);
  });
});
