const units = ["B", "KiB", "MiB", "GiB", "TiB"];

/** A byte count for people: "512 B", "1.50 MiB", "39.61 GiB" (binary units, three significant digits or more). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`;
}
