// llama.cpp as the correctness oracle (DESIGN §7), through node-llama-cpp 3.21.1 on the CPU.
// Plain JavaScript on purpose: node-llama-cpp is installed only in test/oracle/node_modules, so
// this file must run from here, never from dist/ (see loadLlamaCppOracle.ts). Types and the
// contract of every function: llamaCppOracle.d.ts.
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { getLlama, GgmlType, LlamaLogLevel, LlamaVocabularyType } from "node-llama-cpp";

/** @typedef {import("node-llama-cpp").Llama} Llama */
/** @typedef {import("node-llama-cpp").LlamaModel} LlamaModel */
/** @typedef {import("node-llama-cpp").LlamaContext} LlamaContext */
/** @typedef {import("node-llama-cpp").Token} Token */

/** @type {Promise<Llama> | undefined} */
let llamaPromise;
/** Loaded models by "full:" or "vocab:" and absolute path. @type {Map<string, Promise<LlamaModel>>} */
const models = new Map();
/** While set, llama.cpp's info-level log lines are collected here (bench reads its timings so). @type {string[] | undefined} */
let capturedLog;

/**
 * Vocabulary-only loads under way. node-llama-cpp 3.21.1 first simulates a full load of every model
 * to estimate memory; on a vocabulary-only GGUF that fails ("missing tensor 'token_embd.weight'")
 * and logs errors before loading the vocabulary fine. While such a load runs, llama.cpp's warnings
 * and errors are dropped; a real failure still throws from loadModel.
 */
let vocabLoads = 0;

/** Forwards llama.cpp's warnings and errors to stderr; keeps info lines only while capturing. */
function onLog(/** @type {LlamaLogLevel} */ level, /** @type {string} */ message) {
  if (capturedLog !== undefined && level === LlamaLogLevel.info) capturedLog.push(message);
  else if (vocabLoads > 0 && level !== LlamaLogLevel.fatal) return;
  else if (level === LlamaLogLevel.warn || level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) {
    process.stderr.write(`[llama.cpp ${level}] ${message.trimEnd()}\n`);
  }
}

function llama() {
  llamaPromise ??= getLlama({
    // The oracle is the CPU reference; probing CUDA/Vulkan is slow and noisy and must not change results.
    gpu: false,
    // Use the prebuilt @node-llama-cpp/linux-x64 binary; never download or compile llama.cpp.
    build: "never",
    usePrebuiltBinaries: true,
    progressLogs: false,
    // With no cap, a context's `threads` is the exact thread count used (LlamaContextOptions.threads).
    maxThreads: 0,
    logLevel: LlamaLogLevel.warn,
    logger: onLog,
  });
  return llamaPromise;
}

/** The model at `path`, loaded once; a vocabulary-only load when only the tokenizer is needed. */
async function loadModel(/** @type {string} */ path, /** @type {boolean} */ vocabOnly) {
  const modelPath = resolve(path);
  const full = models.get(`full:${modelPath}`);
  if (vocabOnly && full !== undefined) return full;
  const key = `${vocabOnly ? "vocab" : "full"}:${modelPath}`;
  let model = models.get(key);
  if (model === undefined) {
    model = llama().then(async (l) => {
      if (vocabOnly) vocabLoads++;
      try {
        return await l.loadModel({ modelPath, vocabOnly, gpuLayers: 0 });
      } finally {
        if (vocabOnly) vocabLoads--;
      }
    });
    models.set(key, model);
    model.catch(() => models.delete(key));
  }
  return model;
}

function checkTokens(/** @type {readonly number[]} */ tokens, /** @type {string} */ what) {
  if (tokens.length === 0) throw new RangeError(`${what} is empty; llama.cpp needs at least one token`);
  for (const t of tokens) {
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`${what} holds ${t}, which is not a token id`);
  }
}

/** node-llama-cpp brands token ids as `Token`; ours are plain numbers. */
function asTokens(/** @type {readonly number[]} */ ids) {
  return /** @type {Token[]} */ (/** @type {unknown} */ ([...ids]));
}

/**
 * A fresh context set up for exact comparison: K and V caches of `kvCacheType` (F32 unless
 * asked), flash attention as asked (off unless asked),
 * n_batch = n_ubatch = `batchSize` (node-llama-cpp sets n_ubatch to n_batch), room for `tokens`
 * plus the one free cell node-llama-cpp keeps, and a check that llama.cpp took every setting.
 */
async function createExactContext(/** @type {LlamaModel} */ model, /** @type {{tokens: number, batchSize: number, threads?: number | undefined, kvCacheType?: string, flashAttention?: boolean, performanceTracking?: boolean}} */ o) {
  const l = await llama();
  const kvCacheType = o.kvCacheType ?? "F32";
  const flashAttention = o.flashAttention ?? false;
  const threads = o.threads ?? l.cpuMathCores;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, not ${threads}`);
  const kvType = /** @type {Record<string, unknown>} */ (GgmlType)[kvCacheType];
  if (typeof kvType !== "number") throw new RangeError(`${kvCacheType} is not a ggml type`);
  const context = await model.createContext({
    sequences: 1,
    contextSize: o.tokens + 1,
    batchSize: o.batchSize,
    threads,
    flashAttention,
    experimentalKvCacheKeyType: kvType,
    experimentalKvCacheValueType: kvType,
    // A sliding-window model keeps its whole cache, so the window lives only in the attention mask
    // and nothing is evicted; no effect on other models.
    swaFullCache: true,
    failedCreationRemedy: false,
    performanceTracking: o.performanceTracking ?? false,
  });
  const got = { contextSize: context.contextSize, batchSize: context.batchSize, flashAttention: context.flashAttention, k: context.kvCacheKeyType, v: context.kvCacheValueType, threads: context.currentThreads };
  if (got.contextSize < o.tokens + 1 || got.batchSize < o.batchSize || got.flashAttention !== flashAttention || got.k !== kvType || got.v !== kvType || got.threads !== threads) {
    await context.dispose();
    throw new Error(`llama.cpp did not take the oracle's context settings: ${JSON.stringify(got)}`);
  }
  return context;
}

/** Passed to every evaluation: a context shift would silently change the logits, so it is an error. */
const noContextShift = {
  strategy: () => {
    throw new Error("the oracle's context ran out of room; llama.cpp would have shifted it");
  },
};

/**
 * float64 log-softmax from llama.cpp's float32 probabilities (a Map over the whole vocabulary).
 * Renormalising in float64 removes the rounding of llama.cpp's float32 sum and division.
 */
function toLogProbs(/** @type {Map<number, number>} */ probabilities) {
  const row = new Float64Array(probabilities.size).fill(Number.NaN);
  let sum = 0;
  for (const p of probabilities.values()) sum += p;
  const logSum = Math.log(sum);
  for (const [id, p] of probabilities) row[id] = Math.log(p) - logSum;
  if (row.some(Number.isNaN)) throw new Error("llama.cpp's probabilities do not cover the vocabulary");
  return row;
}

/** The mean, as llama-bench averages tokens/s over repetitions. */
function mean(/** @type {number[]} */ xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** llama-bench's token source: pseudo-random ids (a fixed LCG here, so runs are comparable). */
function randomTokens(/** @type {number} */ count, /** @type {number} */ vocabSize, /** @type {number} */ seed) {
  let state = seed >>> 0;
  return asTokens(Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % vocabSize;
  }));
}

/** Resets llama.cpp's perf counters and returns what they held: ms and tokens of prompt and generation. */
async function takeTimings(/** @type {LlamaContext} */ context) {
  const l = await llama();
  capturedLog = [];
  l.logLevel = LlamaLogLevel.info;
  try {
    await context.printTimings(); // llama_perf_context_print, then llama_perf_context_reset
  } finally {
    l.logLevel = LlamaLogLevel.warn;
  }
  const text = capturedLog.join("");
  capturedLog = undefined;
  const prompt = /prompt eval time =\s*([\d.]+) ms \/\s*(\d+) tokens/.exec(text);
  const gen = /:\s+eval time =\s*([\d.]+) ms \/\s*(\d+) runs/.exec(text);
  if (prompt === null || gen === null) throw new Error(`llama.cpp printed no timings: ${JSON.stringify(text)}`);
  return { promptMs: Number(prompt[1]), promptTokens: Number(prompt[2]), genMs: Number(gen[1]), genTokens: Number(gen[2]) };
}

/** @type {import("./llamaCppOracle.js").LlamaCppOracle} */
export const llamaCppOracle = {
  async tokenize(modelPath, text, { addSpecial = false, parseSpecial = false } = {}) {
    const model = await loadModel(modelPath, true);
    // node-llama-cpp calls common_tokenize(vocab, text, add_special = false, parseSpecial). The text
    // part of llama_tokenize does not depend on add_special (llama-vocab.cpp, tokenize: SPM's space
    // prefix is keyed on the previous fragment only), so adding the specials here is exact.
    const ids = model.tokenize(text, parseSpecial);
    if (!addSpecial) return ids;
    const t = model.tokens;
    switch (model.vocabularyType) {
      case LlamaVocabularyType.wpm:
        return [t.bos ?? fail("BOS/CLS"), ...ids, t.sep ?? fail("SEP")];
      case LlamaVocabularyType.spm:
      case LlamaVocabularyType.bpe:
      case LlamaVocabularyType.ugm:
        return [
          ...(t.shouldPrependBosToken ? [t.bos ?? fail("BOS")] : []),
          ...ids,
          ...(t.shouldAppendEosToken ? [t.eos ?? fail("EOS")] : []),
        ];
      default:
        return ids; // RWKV and PLaMo-2 add nothing
    }
    /** @returns {never} */
    function fail(/** @type {string} */ what) {
      throw new Error(`${modelPath} asks for a ${what} token but has none`);
    }
  },

  async detokenize(modelPath, ids, { unparseSpecial = false } = {}) {
    const model = await loadModel(modelPath, true);
    return model.detokenize(asTokens(ids), unparseSpecial);
  },

  async logProbs(modelPath, tokens, { threads, kvCacheType, flashAttention } = {}) {
    checkTokens(tokens, "tokens");
    const model = await loadModel(modelPath, false);
    const context = await createExactContext(model, { tokens: tokens.length, batchSize: tokens.length, threads, kvCacheType, flashAttention });
    try {
      /** @type {Float64Array[]} */
      const rows = [];
      /** @type {unknown} */
      let failure;
      await context.getSequence().controlledEvaluate(
        // Greedy (temperature 0) is the only sampler in the chain and changes no logit; node-llama-cpp
        // then softmaxes llama_get_logits_ith over the whole vocabulary in float32 (AddonContext.cpp).
        asTokens(tokens).map((t) => [t, { generateNext: { probabilities: true, options: { temperature: 0 } } }]),
        {
          contextShift: noContextShift,
          // Convert each row as it comes and drop the Map, so a long prompt over a large vocabulary
          // does not hold every Map at once. Errors here would be swallowed, so keep the first.
          onTokenResult(i, result) {
            try {
              const p = result.next.probabilities;
              if (p === undefined) throw new Error(`llama.cpp returned no probabilities at position ${i}`);
              rows[i] = toLogProbs(p);
              delete result.next.probabilities;
            } catch (err) {
              failure ??= err;
            }
          },
        },
      );
      if (failure !== undefined) throw failure;
      if (rows.length !== tokens.length || rows.some((r) => r === undefined)) throw new Error("llama.cpp skipped positions");
      return rows;
    } finally {
      await context.dispose();
    }
  },

  async greedy(modelPath, promptTokens, n, { threads, kvCacheType, flashAttention } = {}) {
    checkTokens(promptTokens, "promptTokens");
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a count of tokens, not ${n}`);
    const model = await loadModel(modelPath, false);
    const context = await createExactContext(model, { tokens: promptTokens.length + n, batchSize: promptTokens.length, threads, kvCacheType, flashAttention });
    try {
      const sequence = context.getSequence();
      /** @type {number[]} */
      const out = [];
      let input = asTokens(promptTokens);
      while (out.length < n) {
        const last = input.length - 1;
        const results = await sequence.controlledEvaluate(
          input.map((t, i) => (i === last ? [t, { generateNext: { token: true, options: { temperature: 0 } } }] : t)),
          { contextShift: noContextShift },
        );
        const next = results[last]?.next.token;
        if (next === undefined || next === null) throw new Error(`llama.cpp produced no token after ${out.length} tokens`);
        out.push(next);
        input = [next];
      }
      return out;
    } finally {
      await context.dispose();
    }
  },

  async bench(modelPath, { threads, promptTokens = 512, genTokens = 128, repetitions = 3, kvCacheType = "F16", flashAttention = false } = {}) {
    // llama.cpp counts a one-token batch as generation, so a prompt test needs two tokens or more.
    for (const [name, v, min] of /** @type {const} */ ([["promptTokens", promptTokens, 2], ["genTokens", genTokens, 1], ["repetitions", repetitions, 1]])) {
      if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer of at least ${min}, not ${v}`);
    }
    const model = await loadModel(modelPath, false);
    const vocabSize = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
    const context = await createExactContext(model, {
      tokens: Math.max(promptTokens, genTokens), batchSize: promptTokens, threads, kvCacheType, flashAttention, performanceTracking: true,
    });
    try {
      const sequence = context.getSequence();
      const evaluate = (/** @type {Token[]} */ tokens) => sequence.controlledEvaluate(
        // Ask for the last token's logits, as llama_batch_get_one does in llama-bench.
        tokens.map((t, i) => (i === tokens.length - 1 ? [t, { generateNext: { token: true, options: { temperature: 0 } } }] : t)),
        { contextShift: noContextShift },
      );
      // llama-bench's test_prompt and test_gen: random tokens (BOS first where the model wants it),
      // the prompt in one batch, generation one token per decode, each from an empty cache.
      const runPrompt = async (/** @type {number} */ seed) => {
        const tokens = randomTokens(promptTokens, vocabSize, seed);
        if (bos !== null) tokens[0] = bos;
        await sequence.clearHistory();
        await takeTimings(context);
        const start = performance.now();
        await evaluate(tokens);
        const wallMs = performance.now() - start;
        const timings = await takeTimings(context);
        if (timings.promptTokens !== promptTokens) throw new Error(`llama.cpp counted ${timings.promptTokens} prompt tokens, not ${promptTokens}`);
        return { ...timings, wallMs };
      };
      const runGen = async (/** @type {number} */ count, /** @type {number} */ seed) => {
        const tokens = randomTokens(count, vocabSize, seed);
        if (bos !== null) tokens[0] = bos;
        await sequence.clearHistory();
        await takeTimings(context);
        const start = performance.now();
        for (const t of tokens) await evaluate([t]);
        const wallMs = performance.now() - start;
        const timings = await takeTimings(context);
        if (timings.genTokens !== count) throw new Error(`llama.cpp counted ${timings.genTokens} generated tokens, not ${count}`);
        return { ...timings, wallMs };
      };
      await runPrompt(0); // warm-up, as llama-bench does
      await runGen(1, 0);
      const pp = [];
      const tg = [];
      for (let r = 0; r < repetitions; r++) {
        pp.push(await runPrompt(r + 1));
        tg.push(await runGen(genTokens, r + 1));
      }
      return {
        threads: context.currentThreads,
        promptTokens,
        genTokens,
        repetitions,
        promptTokensPerSecond: mean(pp.map((s) => (1e3 * s.promptTokens) / s.promptMs)),
        generationTokensPerSecond: mean(tg.map((s) => (1e3 * s.genTokens) / s.genMs)),
        promptSamples: pp.map((s) => (1e3 * s.promptTokens) / s.promptMs),
        generationSamples: tg.map((s) => (1e3 * s.genTokens) / s.genMs),
        promptWallTokensPerSecond: mean(pp.map((s) => (1e3 * promptTokens) / s.wallMs)),
        generationWallTokensPerSecond: mean(tg.map((s) => (1e3 * genTokens) / s.wallMs)),
      };
    } finally {
      await context.dispose();
    }
  },

  async dispose() {
    const loaded = [...models.values()];
    const l = llamaPromise;
    models.clear();
    llamaPromise = undefined;
    for (const m of await Promise.allSettled(loaded)) if (m.status === "fulfilled") await m.value.dispose();
    if (l !== undefined) await (await l).dispose();
  },
};
