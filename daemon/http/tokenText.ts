/** A token's bytes as a string, as OpenAI's logprobs name tokens; bytes of an unfinished character become U+FFFD. */
export function tokenText(piece: Uint8Array): string {
  return new TextDecoder().decode(piece);
}
