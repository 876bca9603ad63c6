/**
 * `text` without leading and trailing ASCII whitespace, as C's isspace() sees it in the "C"
 * locale (space, \t, \n, \v, \f, \r). llama.cpp trims message contents with that, not with
 * String.prototype.trim, which also removes no-break and other Unicode spaces.
 */
export function trimAsciiSpace(text: string): string {
  return text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, "");
}
