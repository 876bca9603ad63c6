import type { NativeModel, NativeTimings } from "../../cuda-engine/js/EngineBinding.js";

/** Figures of one llama-bench-style test: tokens per second of each repetition. */
export interface BenchSamples {
  test: string;
  samples: number[];
}

function run(model: NativeModel, prompt: number[], maxTokens: number): Promise<NativeTimings> {
  return new Promise((resolve, reject) => {
    model.generate({ prompt, maxTokens, temperature: 0, ignoreEos: true }, (event) => {
      if (event.type !== "done") return;
      if (event.reason === "length") resolve(event.timings);
      else reject(new Error(`bench generation ended with ${event.reason}: ${event.message ?? ""}`));
    });
  });
}

/**
 * pp<n>: one prompt of n tokens through the engine's batched prefill (logits for the last token
 * only, as llama-bench); tg<n>: n tokens decoded one by one from a one-token context — n passes
 * in all, the first being the one-token prompt. One warm-up run first, like llama-bench.
 */
export async function measureEngine(model: NativeModel, options: { pp: number; tg: number; repetitions: number })
  : Promise<BenchSamples[]> {
  const { nVocab, bos } = model.info();
  const first = bos >= 0 ? bos : 1;
  const prompt = Array.from({ length: options.pp }, (_, i) => (i === 0 ? first : (i * 7919) % nVocab));
  const pp: number[] = [];
  const tg: number[] = [];
  await run(model, prompt.slice(0, 16), 2);
  for (let r = 0; r < options.repetitions; r++) {
    const t = await run(model, prompt, 1);
    pp.push((t.promptN / t.promptMs) * 1000);
  }
  for (let r = 0; r < options.repetitions; r++) {
    const t = await run(model, [first], options.tg);
    tg.push((t.predictedN / (t.promptMs + t.predictedMs)) * 1000);
  }
  return [{ test: `pp${options.pp}`, samples: pp }, { test: `tg${options.tg}`, samples: tg }];
}
