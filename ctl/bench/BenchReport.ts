import type { NativePlacement, NativeTierBytes } from "../../cuda-engine/js/EngineBinding.js";

/**
 * The streaming stages' timers over one test's timed repetitions (the delta of the model's
 * cumulative stats().stages), divided by the passes they cover. The stages overlap, so the times
 * do not add up to the pass time; a large stall says the link, not compute, sets the speed.
 */
export interface StagesPerPass {
  /** Forward passes the delta covers (every repetition of the test). */
  passes: number;
  readMs: number;
  h2dMs: number;
  computeMs: number;
  stallMs: number;
  /** Bytes read from storage (tier C) per pass. */
  bytesRead: number;
  /** Bytes copied host → device (tiers B and C) per pass. */
  bytesCopied: number;
}

/** One llama-bench test ("pp512", "tg128") or batched test ("pp8+tg16 x4") of one model. */
export interface BenchTest {
  test: string;
  /** Sequences decoding together: 1, or N of a --parallel test. */
  sequences: number;
  /** Tokens per repetition: the prompt's for pp, the generated for tg (all N sequences' for a batched test). */
  tokens: number;
  /** Forward passes per repetition: ceil(P / nBatch) for pp, N for tg (one token per pass). */
  passesPerRep: number;
  /** Tokens per second of each repetition. */
  samples: number[];
  mean: number;
  /** Sample standard deviation (n − 1, as llama-bench); 0 for one repetition. */
  sd: number;
  /**
   * The link bound of DESIGN §3 in tokens per second (tokens per pass × the one-sequence decode
   * bound: N × it for N sequences); null when nothing bounds it (no pass time).
   */
  bound: number | null;
  /** mean / bound; null without a bound. */
  ratio: number | null;
  stagesPerPass: StagesPerPass;
}

/** What `ntctl bench` measured for one model (one element of the --json `models` array). */
export interface BenchModel {
  /** The file, as an absolute path. */
  model: string;
  /** Bytes of weights the engine holds (info().weightBytes). */
  bytes: number;
  /** Parameters: every tensor's element count, summed. */
  params: number;
  backend: "cpu" | "cuda";
  threads: number;
  nCtx: number;
  nBatch: number;
  /** The planner's budgets in force, in bytes. */
  budgets: { vram: number; pinned: number };
  /** Weight bytes per tier: A resident, B pinned and copied each pass, C read from storage each pass. */
  tiers: NativeTierBytes;
  /** Link speeds measured at load, in GB/s, and whether storage reads use O_DIRECT. */
  links: NativePlacement["links"] & { directIo: boolean };
  /** Expected milliseconds of one pass, and the one-sequence decode bound it gives (1000 / passMs). */
  passMs: number;
  boundTokS: number;
  /** The whole placement the engine chose (rows, memory, staging), less its printable text. */
  placement: Omit<NativePlacement, "text">;
  tests: BenchTest[];
}

/** The --json output of `ntctl bench`. */
export interface BenchReport {
  models: BenchModel[];
}
