/** One llama-bench-style figure: a test name (pp512, tg128, pp512+tg128, tg32@d8192), its mean tokens per second and, for ours, its bound. */
export interface BenchFigure {
  test: string;
  tokS: number;
  /** The bound the figure is measured against (the dual bound on the dual path), with what limits it. */
  bound?: { tokS: number; of: string };
}

interface NtBenchTest {
  test?: string;
  meanTokS?: number;
  boundTokS?: number | null;
  dualBoundTokS?: number | null;
}

interface NtBenchJson {
  results?: { model?: string; tests?: NtBenchTest[] }[];
}

/** One line of llama-batched-bench --output-format jsonl: pl sequences of pp prompt and tg generated tokens. */
interface BatchedBenchRow {
  pp?: number;
  tg?: number;
  pl?: number;
  speed_tg?: number;
}

interface LlamaBenchRow {
  n_prompt?: number;
  n_gen?: number;
  n_depth?: number;
  avg_ts?: number;
}

/**
 * llama-bench's test name for a row: pp<n> (prompt only), tg<n> (generation only), else pp<n>+tg<m>;
 * at a depth (-d) followed by @d<depth>, as nt-bench names its tests there.
 */
function llamaTestName(row: LlamaBenchRow): string {
  const p = row.n_prompt ?? 0, g = row.n_gen ?? 0, d = row.n_depth ?? 0;
  const name = g === 0 ? `pp${p}` : p === 0 ? `tg${g}` : `pp${p}+tg${g}`;
  return d > 0 ? `${name}@d${d}` : name;
}

/** A test's bound as nt-bench computed it: the dual bound where the dual path ran, else the link/VRAM bound. */
function boundOf(t: NtBenchTest): BenchFigure["bound"] {
  if (typeof t.dualBoundTokS === "number" && t.dualBoundTokS > 0) return { tokS: t.dualBoundTokS, of: "dual" };
  if (typeof t.boundTokS === "number" && t.boundTokS > 0) return { tokS: t.boundTokS, of: "link" };
  return undefined;
}

function ours(json: NtBenchJson): BenchFigure[] {
  return (json.results ?? []).flatMap((model) => (model.tests ?? []).map((t) => {
    if (typeof t.test !== "string" || typeof t.meanTokS !== "number") throw new Error("nt-bench JSON: a test lacks test or meanTokS");
    return { test: t.test, tokS: t.meanTokS, bound: boundOf(t) };
  }));
}

function theirs(rows: LlamaBenchRow[]): BenchFigure[] {
  return rows.map((row) => {
    if (typeof row.avg_ts !== "number") throw new Error("llama-bench JSON: a row lacks avg_ts");
    return { test: llamaTestName(row), tokS: row.avg_ts };
  });
}

/**
 * llama-batched-bench's rows as nt-bench --parallel names its tests (pp8+tg16 x4), each at S_TG:
 * the generation rate without the prompts' time, where ours counts the prompt passes too (the
 * ratio understates ours by that much).
 */
function theirsBatched(rows: BatchedBenchRow[]): BenchFigure[] {
  return rows.map((row) => {
    if (typeof row.speed_tg !== "number" || row.pl === undefined) {
      throw new Error("llama-batched-bench JSONL: a row lacks pl or speed_tg");
    }
    return { test: `pp${row.pp ?? 0}+tg${row.tg ?? 0} x${row.pl}`, tokS: row.speed_tg };
  });
}

/** llama-bench -o json (an array of rows) or llama-batched-bench --output-format jsonl (an object per line). */
function theirsOf(text: string): BenchFigure[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) return theirs(JSON.parse(trimmed) as LlamaBenchRow[]);
  if (!trimmed.startsWith("{")) {
    throw new Error("llama-bench JSON: expected an array of rows (llama-bench -o json) or JSONL (llama-batched-bench)");
  }
  const rows = trimmed.split("\n").filter((line) => line.trim().startsWith("{")).map((line) => JSON.parse(line) as unknown);
  if (rows.some((row) => typeof row !== "object" || row === null || !("pl" in row))) {
    throw new Error("llama-bench JSON: expected an array of rows (llama-bench -o json), not an object");
  }
  return theirsBatched(rows as BatchedBenchRow[]);
}

const cell = (v: number | undefined): string => (v === undefined ? "—" : v.toFixed(2));

/** Ours against the bound: the bound's figure (with " dual" on the dual path) and the share of it we reached. */
function boundCells(f: BenchFigure | undefined): [string, string] {
  if (!f?.bound) return ["—", "—"];
  return [`${f.bound.tokS.toFixed(2)}${f.bound.of === "dual" ? " dual" : ""}`, `${((100 * f.tokS) / f.bound.tokS).toFixed(1)} %`];
}

/**
 * The table scripts/benchGpu.sh prints when given LLAMA_BENCH, the rows the README's GPU table is
 * made of: for every test either side ran (nt-bench --json, and llama-bench -o json with the same
 * file and -p/-n, or llama-batched-bench --output-format jsonl beside nt-bench --parallel), our
 * figure beside its bound (the dual bound on the dual path) and the share of it we reached,
 * llama.cpp's figure and ours / llama.cpp's. A test only one side ran shows "—" for the
 * other and no ratio.
 */
export function llamaComparisonTable(ntBenchJson: string, llamaBenchJson: string): string {
  const a = ours(JSON.parse(ntBenchJson) as NtBenchJson);
  const b = theirsOf(llamaBenchJson);
  const tests = [...new Set([...a.map((f) => f.test), ...b.map((f) => f.test)])];
  const lines = ["| test | ntransformer t/s | bound t/s | of the bound | llama.cpp t/s | ratio |", "|---|---:|---:|---:|---:|---:|"];
  for (const test of tests) {
    const x = a.find((f) => f.test === test), y = b.find((f) => f.test === test)?.tokS;
    const ratio = x !== undefined && y !== undefined && y > 0 ? `${(x.tokS / y).toFixed(2)} ×` : "—";
    lines.push(`| ${test} | ${cell(x?.tokS)} | ${boundCells(x).join(" | ")} | ${cell(y)} | ${ratio} |`);
  }
  return lines.join("\n");
}
