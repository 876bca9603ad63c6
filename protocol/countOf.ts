/**
 * A count with its noun, in the plural unless the count is 1: "1 request", "0 requests",
 * "3 passes" (with `plural` "passes" for a noun that does not just take an s). The one helper
 * for every count in ntd's, ntctl's and the helper's messages, so none says "1 requests".
 */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
