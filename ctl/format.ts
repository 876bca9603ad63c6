// How ntctl writes numbers and tables for people: byte sizes, durations, float32 values, and
// rows laid out in columns.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** "1.13 MiB": binary units, three significant digits, as `ls -h` and Ollama print sizes. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** "2d 3h", "1h 4m", "3m 12s", "42s": the two largest units, as uptime is usually read. */
export function formatDuration(seconds: number): string {
  const units: [string, number][] = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  let rest = Math.floor(seconds);
  const parts: string[] = [];
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count}${name}`);
  }
  return parts.length === 0 ? "0s" : parts.slice(0, 2).join(" ");
}

/**
 * The shortest decimal that reads back as the same float32: GGUF stores epsilons and scales as
 * f32, so 1e-5 arrives as 9.999999747378752e-6; printing 1e-5 loses nothing, since parsing it
 * and rounding to f32 gives the same bits (9 significant digits always suffice for f32).
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}

/** Which side a column's cells are padded on; numbers read best right-aligned. */
export type ColumnAlign = "left" | "right";

/**
 * Lays rows out in space-separated columns, like `ollama ps` and `llama-bench` print them:
 * no borders, so the output stays greppable and pastes cleanly into an issue.
 */
export function formatColumns(header: string[], rows: string[][], align: ColumnAlign[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === "right" ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
