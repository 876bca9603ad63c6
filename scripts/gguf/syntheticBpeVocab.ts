/** A byte-level BPE vocabulary as the tokenizer.ggml.* arrays of a "gpt2" tokenizer hold it. */
export interface BpeVocab {
  /** tokenizer.ggml.tokens: the 256 byte characters, merged tokens, then the special tokens; all unique. */
  readonly tokens: string[];
  /** tokenizer.ggml.token_type: normal (1) for byte and merged tokens, control (3) for the special tokens. */
  readonly tokenTypes: Int32Array;
  /** tokenizer.ggml.merges: "a b" by rank; token "ab" comes right after the tokens it is made of. */
  readonly merges: string[];
}

/** llama.cpp's llama_token_type values (llama.h). */
const tokenType = { normal: 1, control: 3 } as const;
/** Byte-level BPE's stand-in for a leading space (byte 0x20). */
const space = "\u0120";
/** The continuation merges add lowercase words letter by letter, commonest letters first. */
const letters = "etaoinshrdlcumwfgypbvkjxqz";
/**
 * GPT-2's pre-tokenizer pattern without its contraction alternatives: words, numbers and
 * punctuation runs, each with the space before it, so merges never cross a word boundary.
 */
const pretokenizer = / ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+/gu;

/**
 * A deterministic, made-up byte-level BPE vocabulary of `nVocab` tokens, laid out like GPT-2's,
 * Llama 3's and Qwen2's: the 256 byte characters (in GPT-2's id order), then one token per merge,
 * then `specialTokens` as control tokens at the end. The first merges are learned by BPE on
 * {@link englishSampleText} (most frequent pair first, ties by the pair's text), so they are
 * real English merges ("Ġ t", "h e", "Ġt he" …); when those run out, merges keep adding
 * lowercase words one letter at a time ("Ġ e", "Ġe t", "e t", …, every word of length n before
 * length n + 1) until the vocabulary is full. Each merge "a b" adds token "ab", whose parts are
 * tokens with smaller ids, as llama.cpp's BPE tokenizer expects.
 */
export function syntheticBpeVocab(nVocab: number, specialTokens: readonly string[]): BpeVocab {
  const minimum = 256 + specialTokens.length;
  if (!Number.isSafeInteger(nVocab) || nVocab < minimum) {
    throw new RangeError(`a synthetic BPE vocabulary with ${specialTokens.length} special tokens needs at least ${minimum} tokens, got ${nVocab}`);
  }
  const tokens = gpt2ByteChars().map((c) => c.char);
  const known = new Set(tokens);
  const merges: string[] = [];
  const target = nVocab - specialTokens.length;
  const add = (a: string, b: string) => {
    merges.push(`${a} ${b}`);
    tokens.push(a + b);
    known.add(a + b);
  };

  for (const [a, b] of learnedMerges(known)) {
    if (tokens.length === target) break;
    add(a, b);
  }
  for (const [a, b] of letterMerges()) {
    if (tokens.length === target) break;
    if (known.has(a + b)) continue;
    // Words are made in order of length, so the prefix exists by now (learned or made).
    if (!known.has(a)) throw new Error(`internal: merge part ${a} is not a token yet`);
    add(a, b);
  }
  for (const special of specialTokens) {
    if (known.has(special)) throw new RangeError(`special token ${special} is already a token`);
    tokens.push(special);
    known.add(special);
  }
  const tokenTypes = new Int32Array(nVocab).fill(tokenType.normal);
  tokenTypes.fill(tokenType.control, target);
  return { tokens, tokenTypes, merges };
}

/**
 * BPE training on the sample text: repeatedly merges the most frequent adjacent pair of symbols
 * within pre-tokenized words. A pair whose result is already a token is passed over, so every
 * merge adds a new token. Stops when no pair occurs twice.
 */
function* learnedMerges(known: ReadonlySet<string>): Generator<[string, string]> {
  const byteChar = gpt2ByteChars().reduce<string[]>((table, c) => { table[c.byte] = c.char; return table; }, []);
  const wordCounts = new Map<string, number>();
  for (const word of englishSampleText.match(pretokenizer) ?? []) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  const words = [...wordCounts].map(([word, count]) => ({
    symbols: [...Buffer.from(word, "utf8")].map((b) => byteChar[b] as string),
    count,
  }));
  const made = new Set(known);
  for (;;) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 1;
    for (const [key, count] of pairCounts) {
      if (made.has(key.replace(" ", ""))) continue;
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === undefined) return;
    const [a, b] = best.split(" ") as [string, string];
    made.add(a + b);
    for (const word of words) word.symbols = mergePair(word.symbols, a, b);
    yield [a, b];
  }
}

function mergePair(symbols: string[], a: string, b: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === a && symbols[i + 1] === b) {
      out.push(a + b);
      i++;
    } else {
      out.push(symbols[i] as string);
    }
  }
  return out;
}

/** For n = 1, 2, …: every lowercase word w of n letters, as "Ġ" + w and (from n = 2) bare w, built from w minus its last letter. */
function* letterMerges(): Generator<[string, string]> {
  for (let length = 1; ; length++) {
    for (const word of words(length)) {
      const stem = word.slice(0, -1);
      const last = word.slice(-1);
      yield [space + stem, last];
      if (length >= 2) yield [stem, last];
    }
  }
}

function* words(length: number): Generator<string> {
  if (length === 0) {
    yield "";
    return;
  }
  for (const prefix of words(length - 1)) {
    for (const c of letters) yield prefix + c;
  }
}

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

/**
 * A few paragraphs of plain English, written for this project, on which the synthetic BPE
 * vocabulary learns its first merges, so that English prompts split into word-like tokens
 * ("Ġthe", "ing", "Ġand") the way they do with a real byte-level BPE vocabulary.
 */
const englishSampleText = `
The model reads the prompt one token at a time, and for every token it has to pass the whole
stack of layers. When the weights do not fit in the memory of the graphics card, they are read
from the disk into pinned memory and then copied to the card, layer after layer, while the
previous layer is still being computed. The time it takes is set by the slowest of the three
links: the disk, the bus and the card itself.

There was once a little robot that lived in a house at the edge of the town. Every morning it
opened the windows, watered the plants in the garden and made tea for the old woman who lived
there with it. She told it stories about the sea, about the ships that came into the harbour
and the people who sailed on them, and the robot listened to every word. One day she asked it
what it wanted to do when the summer was over. The robot thought for a long time and then said
that it wanted to see the sea for itself, and to find out whether the stories were true.

So they packed a bag with bread, cheese and apples, and they walked down the hill to the
station. The train was late, but nobody minded. They sat by the window and watched the fields
and the trees go by, and the woman pointed at the birds and said their names. When they came
to the coast the wind was strong and the water was grey and green and white, and it was much
bigger than the robot had thought. It stood on the sand for a long while, and then it turned
to the woman and said that the stories had been true after all, and that it was glad they had
come.

Numbers matter too: in 2024 there were 365 days, 12 months and 52 weeks, and 100 is ten times
10. Questions end with a question mark? Lists use commas, and sentences end with a full stop.
"Quotes" and (brackets) appear in text, as do words like don't, it's, we're and you'll.
`;
