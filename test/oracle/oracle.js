#!/usr/bin/env node
// The llama.cpp oracle from the shell, for people and for debugging; prints JSON on stdout.
// Usage (from the repository root, after `npm run oracle:install`):
//   node test/oracle/oracle.js tokenize   MODEL TEXT [--add-special] [--parse-special]
//   node test/oracle/oracle.js detokenize MODEL ID... [--unparse-special]
//   node test/oracle/oracle.js logprobs   MODEL (--text TEXT [--add-special] | --tokens 1,2,3) [--top K] [--full] [--threads N]
//   node test/oracle/oracle.js greedy     MODEL N (--text TEXT [--add-special] | --tokens 1,2,3) [--threads N]
//   node test/oracle/oracle.js bench      MODEL [--threads N] [--pp 512] [--tg 128] [--reps 3] [--kv F16] [--flash-attention]
import process from "node:process";
import { parseArgs } from "node:util";
import { llamaCppOracle } from "./llamaCppOracle.js";

const usage = `usage: oracle.js tokenize|detokenize|logprobs|greedy|bench MODEL ... (see the top of ${process.argv[1] ?? "oracle.js"})`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "add-special": { type: "boolean", default: false },
    "parse-special": { type: "boolean", default: false },
    "unparse-special": { type: "boolean", default: false },
    text: { type: "string" },
    tokens: { type: "string" },
    top: { type: "string", default: "5" },
    full: { type: "boolean", default: false },
    threads: { type: "string" },
    pp: { type: "string", default: "512" },
    tg: { type: "string", default: "128" },
    reps: { type: "string", default: "3" },
    kv: { type: "string", default: "F16" },
    "flash-attention": { type: "boolean", default: false },
  },
});

/** A decimal integer flag, or undefined when absent. */
function int(/** @type {string | undefined} */ value, /** @type {string} */ name) {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} wants a whole number, not ${value}`);
  return Number(value);
}

class UsageError extends Error {}

/** The prompt as token ids, from --tokens or by tokenizing --text. */
async function promptOf(/** @type {string} */ model) {
  if (flags.tokens !== undefined) {
    return flags.tokens.split(",").map((t) => int(t.trim(), "tokens") ?? 0);
  }
  if (flags.text !== undefined) {
    return llamaCppOracle.tokenize(model, flags.text, { addSpecial: flags["add-special"], parseSpecial: flags["parse-special"] });
  }
  throw new UsageError("give the prompt as --text or --tokens");
}

/** JSON has no -Infinity: a log-probability llama.cpp rounded to probability 0 prints as null. */
function finite(/** @type {number} */ x) {
  return Number.isFinite(x) ? x : null;
}

async function run() {
  const [verb, model, ...rest] = positionals;
  if (verb === undefined || model === undefined) throw new UsageError(usage);
  const threads = int(flags.threads, "threads");
  switch (verb) {
    case "tokenize": {
      if (rest.length !== 1) throw new UsageError("tokenize wants MODEL TEXT");
      const text = rest[0] ?? "";
      return { tokens: await llamaCppOracle.tokenize(model, text, { addSpecial: flags["add-special"], parseSpecial: flags["parse-special"] }) };
    }
    case "detokenize": {
      const ids = rest.map((t) => int(t, "ids") ?? 0);
      return { text: await llamaCppOracle.detokenize(model, ids, { unparseSpecial: flags["unparse-special"] }) };
    }
    case "logprobs": {
      const tokens = await promptOf(model);
      const top = int(flags.top, "top") ?? 5;
      const rows = await llamaCppOracle.logProbs(model, tokens, { threads });
      const positions = rows.map((row, i) => {
        const order = Array.from(row.keys()).sort((a, b) => (row[b] ?? 0) - (row[a] ?? 0) || a - b);
        return {
          position: i,
          token: tokens[i],
          argmax: order[0],
          top: order.slice(0, top).map((id) => [id, finite(row[id] ?? Number.NaN)]),
          ...(flags.full ? { logProbs: Array.from(row, finite) } : {}),
        };
      });
      return { tokens, vocabSize: rows[0]?.length, positions };
    }
    case "greedy": {
      const n = int(rest[0], "N");
      if (n === undefined || rest.length !== 1) throw new UsageError("greedy wants MODEL N");
      const prompt = await promptOf(model);
      const tokens = await llamaCppOracle.greedy(model, prompt, n, { threads });
      return { prompt, tokens, text: await llamaCppOracle.detokenize(model, tokens) };
    }
    case "bench":
      return llamaCppOracle.bench(model, {
        threads,
        promptTokens: int(flags.pp, "pp"),
        genTokens: int(flags.tg, "tg"),
        repetitions: int(flags.reps, "reps"),
        kvCacheType: flags.kv,
        flashAttention: flags["flash-attention"],
      });
    default:
      throw new UsageError(usage);
  }
}

try {
  process.stdout.write(`${JSON.stringify(await run())}\n`);
} catch (err) {
  process.stderr.write(`oracle.js: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
} finally {
  await llamaCppOracle.dispose();
}
