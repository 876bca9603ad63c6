/** A byte and the printable character byte-level BPE writes for it. */
export interface Gpt2ByteChar {
  readonly byte: number;
  readonly char: string;
}

/**
 * GPT-2's byte-to-unicode table (openai/gpt-2 encoder.py `bytes_to_unicode`), which every
 * byte-level BPE vocabulary (GPT-2, Llama 3, Qwen2) uses: the 188 printable bytes
 * '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves, and the other 68 (controls, space, DEL,
 * NBSP, soft hyphen) map to U+0100 upwards in byte order, so a space is 'Ġ' (U+0120) and a
 * newline 'Ċ' (U+010A). Listed in that order — printable bytes first — which is also the
 * order of the first 256 ids of GPT-2's and Llama 3's vocabularies ('!' is id 0, 'Ġ' id 220).
 */
export function gpt2ByteChars(): Gpt2ByteChar[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars: Gpt2ByteChar[] = [];
  for (let b = 0; b < 256; b++) if (printable(b)) chars.push({ byte: b, char: String.fromCodePoint(b) });
  let next = 0x100;
  for (let b = 0; b < 256; b++) if (!printable(b)) chars.push({ byte: b, char: String.fromCodePoint(next++) });
  return chars;
}
