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
