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
