import path from "node:path";
import { formatBytes } from "../format.js";
import type { BenchModel, BenchTest } from "./BenchReport.js";
import { countOf } from "../../protocol/countOf.js";

const HEADER = "| model | size | params | backend | vram budget | pinned budget | tiers A/B/C | test | t/s | bound t/s | ratio |\n"
  + "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";

/**
 * The results for people, as cuda-engine's nt-bench prints them (bench/bench_table.cc): a
 * llama-bench markdown table with each figure's bound and ratio, then per model the links the
 * bound comes from, the bound's terms, and per test the stage times per pass.
 */
export function formatBenchTable(models: readonly BenchModel[]): string {
  const rows = models.flatMap((m) => m.tests.map((t) => row(m, t)));
  const notes = models.flatMap((m) => [linksLine(m), boundLine(m), ...m.tests.map((t) => stagesLine(m, t))]);
  return `${HEADER}${rows.join("")}\n${notes.join("")}`;
}

function row(m: BenchModel, t: BenchTest): string {
  const backend = m.backend === "cpu" ? `cpu (${countOf(m.threads, "thread")})` : m.backend;
  const tiers = `${formatBytes(m.tiers.a)} / ${formatBytes(m.tiers.b)} / ${formatBytes(m.tiers.c)}`;
  const cells = [
    nameOf(m), formatBytes(m.bytes), countText(m.params), backend, formatBytes(m.budgets.vram), formatBytes(m.budgets.pinned),
    tiers, t.test, `${t.mean.toFixed(2)} ± ${t.sd.toFixed(2)}`,
    t.bound === null ? "-" : t.bound.toFixed(2), t.ratio === null ? "-" : `${(100 * t.ratio).toFixed(1)} %`,
  ];
  return `| ${cells.join(" | ")} |\n`;
}

function nameOf(m: BenchModel): string {
  return path.basename(m.model);
}

/** "1.10 B", "15.03 M", as llama-bench prints parameter counts. */
function countText(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(n);
}

function gbps(value: number): string {
  return value > 0 ? `${value.toFixed(1)} GB/s` : "not measured";
}

function linksLine(m: BenchModel): string {
  const { h2dGBps, storageGBps, vramGBps, directIo } = m.links;
  // Without tier C the engine opens no reader, so directIo says nothing about the filesystem.
  const storage = m.tiers.c === 0 ? `storage read ${gbps(storageGBps)} (no tier C)`
    : directIo ? `O_DIRECT read ${gbps(storageGBps)} (direct)`
      : `storage read ${gbps(storageGBps)} (buffered: O_DIRECT refused)`;
  return `${nameOf(m)}: links (measured at load): pinned H2D ${gbps(h2dGBps)}, ${storage}, VRAM ${gbps(vramGBps)}\n`;
}

/** DESIGN §3's bound with its terms, so a reader can check it. */
function boundLine(m: BenchModel): string {
  if (!(m.boundTokS > 0 && Number.isFinite(m.boundTokS))) return `${nameOf(m)}: no pass time, so no link bound\n`;
  return `${nameOf(m)}: bound tok/s <= 1000 / ${m.passMs.toFixed(3)} ms per pass = ${m.boundTokS.toFixed(2)}; `
    + `S = ${formatBytes(m.placement.streamedBytes)} streamed per pass; pp bound = tokens / passes x that `
    + "(link bound: compute usually binds first)\n";
}

function stagesLine(m: BenchModel, t: BenchTest): string {
  const s = t.stagesPerPass;
  if (s.passes === 0) return `${nameOf(m)} ${t.test}: no passes counted\n`;
  return `${nameOf(m)} ${t.test} per pass: read ${s.readMs.toFixed(3)} ms, h2d ${s.h2dMs.toFixed(3)} ms, `
    + `compute ${s.computeMs.toFixed(3)} ms, stall ${s.stallMs.toFixed(3)} ms; read ${formatBytes(s.bytesRead)}, `
    + `copied ${formatBytes(s.bytesCopied)} (${countOf(s.passes, "pass", "passes")})\n`;
}
