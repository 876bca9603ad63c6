import { readSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type {
  EngineBinding, NativeGenerateEvent, NativeGenerateRequest, NativeModel, NativeModelInfo, NativeModelOptions,
  TokenizerSegment,
} from "../../cuda-engine/js/EngineBinding.js";
import { fakeDualPlacement, fakePlacement, fakeStages } from "./fakePlacement.js";

/** Options of the fake engine. */
export interface FakeEngineOptions {
  /** Delay before each generated token, in ms, so tests can act mid-stream. Default 2. */
  tokenDelayMs?: number;
  /** Delay before each of the four load-progress steps, in ms. Default 1. */
  loadStepMs?: number;
}

/**
 * What a fake model file may hold: a JSON object with any of these. Any other file (a real GGUF
 * included) loads as a default fake model.
 */
export interface FakeModelFile {
  /** Reported as general.architecture. Default "llama". */
  architecture?: string;
  /** Reported as tokenizer.chat_template. Default none. */
  chatTemplate?: string;
  /** Context size when the load does not choose one. Default 128. */
  nCtx?: number;
  /** The text every generation produces (then end-of-generation). Default: " " + the prompt's text reversed + ".". */
  text?: string;
  /** Makes the load fail with this code and message, e.g. NT_E_UNSUPPORTED. */
  fail?: { code: string; message: string };
  /**
   * Once its text is out, each generation stays in flight producing nothing, and never ends by
   * itself, until it is cancelled (or fails, or the model is disposed). A test that acts on a
   * running request (cancel, ps) then cannot race the generation's end, however slow the machine:
   * a finite text ends in a fixed time (at most the context's length in tokens), and on a loaded
   * machine the ntctl processes a test starts meanwhile can take longer than that. Default false.
   */
  hold?: boolean;
}

/** A fake model, with what the tests inspect. */
export interface FakeNativeModel extends NativeModel {
  readonly path: string;
  /** Every generate() request, in order. */
  readonly requests: NativeGenerateRequest[];
  /** Every id passed to cancel(), in order. */
  readonly cancelCalls: number[];
  /** Whether dispose() was called. */
  readonly disposed: boolean;
  /**
   * Makes the next pass (the next token step of any generation) fail: every generation running
   * ends with reason "error" and this code and message. Unless `transient`, the model then stays
   * failed as the engine's does: stats() reports `failure` and every later pass fails alike.
   */
  failNextPass(error: { code: string; message: string }, options?: { transient?: boolean }): void;
}

/** The fake engine, with the models it loaded. */
export interface FakeEngine extends EngineBinding {
  /** Every model loaded, in load order. */
  readonly models: FakeNativeModel[];
  /** Every path loadModel() was called with, in order. */
  readonly loadCalls: string[];
  /** The options of every loadModel() call, in order (as given: undefined when none). */
  readonly loadOptions: (NativeModelOptions | undefined)[];
}

// The fake vocabulary: three specials, then one token per byte, so any text round-trips.
const BOS = 1;
const EOS = 2;
const BYTE0 = 3;
const N_VOCAB = BYTE0 + 256;
const SPECIAL_TEXT = ["<unk>", "<s>", "</s>"];

/**
 * An engine stand-in, so the daemon is tested whether or not the native addon is built: one CPU
 * and one CUDA device (`extraField` checks that the daemon copies only the protocol's fields to
 * the wire), and models with a byte-level vocabulary that "generate" a deterministic text, one
 * token every tokenDelayMs, with UTF-8 and stop-string hold-back, cancel and dispose as the real
 * engine's contract states them (cuda-engine/js/EngineBinding.ts).
 */
export function fakeEngine(options: FakeEngineOptions = {}): FakeEngine {
  const models: FakeNativeModel[] = [];
  const loadCalls: string[] = [];
  const loadOptionsSeen: (NativeModelOptions | undefined)[] = [];
  return {
    models,
    loadCalls,
    loadOptions: loadOptionsSeen,
    devices: () => ({
      cuda: { built: true, available: true, runtimeVersion: "13.0", driverVersion: "13.0" },
      devices: [
        { backend: "cpu", index: 0, name: "Test CPU", totalBytes: 64 * 2 ** 30, freeBytes: 32 * 2 ** 30, cores: 16 },
        Object.assign(
          { backend: "cuda" as const, index: 0, name: "Test GPU", totalBytes: 80 * 2 ** 30, freeBytes: 79 * 2 ** 30,
            computeCapability: "9.0", cores: 132 },
          { extraField: "not on the wire" }),
      ],
    }),
    buildInfo: () => ({ version: "9.9.9", cuda: true, cudaArchitectures: "80;90", simd: "avx2" }),
    readGguf: () => Promise.reject(new Error("not used")),
    loadTokenizer: () => Promise.reject(new Error("not used")),
    loadModel: async (path, loadOptions = {}, onProgress) => {
      loadCalls.push(path);
      loadOptionsSeen.push(loadOptions);
      // A raw image (storage "raw"): read at its offset from the caller's fd, which must be open now.
      // A data-plane session (storage "vfio"): the fakes put the image after the ring's 4096-byte page.
      const { image, vfio } = loadOptions;
      const bytes = image ? readImage(image) : vfio ? readImage({ fd: vfio.fd, offset: 4096, size: vfio.size }) : await readFile(path).catch((err: NodeJS.ErrnoException) => {
        throw codedError(err.code === "ENOENT" ? "NT_E_NOT_FOUND" : "NT_E_IO", `cannot open ${path}: ${err.message}`);
      });
      const file = parseModelFile(bytes);
      if (file.fail) throw codedError(file.fail.code, file.fail.message);
      for (let step = 1; step <= 4; step++) {
        await sleep(options.loadStepMs ?? 1);
        onProgress?.((bytes.length * step) / 4, bytes.length);
      }
      const model = new FakeModel(path, file, loadOptions, options.tokenDelayMs ?? 2);
      models.push(model);
      return model;
    },
  };
}

function readImage({ fd, offset, size }: { fd: number; offset: number; size: number }): Buffer {
  const bytes = Buffer.alloc(size);
  try {
    if (readSync(fd, bytes, 0, size, offset) !== size) throw new Error("short read");
  } catch (err) {
    throw codedError("NT_E_IO", `cannot read the image from fd ${fd}: ${(err as Error).message}`);
  }
  return bytes;
}

function parseModelFile(bytes: Buffer): FakeModelFile {
  if (bytes[0] !== 0x7b) return {}; // not "{": a real GGUF, or anything else
  return JSON.parse(bytes.toString("utf8")) as FakeModelFile;
}

/** An Error with a string `code`, as the addon throws them. */
function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Generation {
  request: NativeGenerateRequest;
  onEvent: (event: NativeGenerateEvent) => void;
  script: number[];
  produced: number;
  /** Generated bytes not yet released as text (an incomplete character or a possible stop string). */
  pending: number[];
  cancelled: boolean;
  started: number;
}

class FakeModel implements FakeNativeModel {
  readonly path: string;
  readonly requests: NativeGenerateRequest[] = [];
  readonly cancelCalls: number[] = [];
  disposed = false;
  /** As the addon reports it: the load's backend ("cuda" for "auto") and fakePlacement(). */
  readonly #info: NativeModelInfo;
  readonly #file: FakeModelFile;
  readonly #tokenDelayMs: number;
  readonly #running = new Map<number, Generation>();
  #nextId = 1;
  #passes = 0;
  /** The error the next pass fails with, and whether the model stays failed after it. */
  #nextPassError: { error: { code: string; message: string }; transient: boolean } | undefined;
  /** Set once a pass failed for good: stats() reports it, and every later pass fails with it. */
  #failure: { code: string; message: string } | undefined;

  constructor(path: string, file: FakeModelFile, options: NativeModelOptions, tokenDelayMs: number) {
    this.path = path;
    this.#file = file;
    this.#tokenDelayMs = tokenDelayMs;
    this.#info = {
      architecture: file.architecture ?? "llama", nVocab: N_VOCAB, nCtx: options.nCtx ?? file.nCtx ?? 128,
      nCtxTrain: 2048, nEmbd: 8, nLayer: 1, nHead: 1, nHeadKv: 1, nFf: 16, threads: options.threads ?? 1,
      weightBytes: 4096, kvBytesPerSequence: 1024, bos: BOS, eos: EOS, chatTemplate: file.chatTemplate,
      backend: options.backend === "cpu" ? "cpu" : "cuda",
      // As the engine: the dual path is reported when the load asks for it ("on"); "auto", the
      // default, plans it only where calibration predicts a split pays, which a fake cannot say.
      placement: options.dualPath === "on" ? fakeDualPlacement() : fakePlacement(),
    };
  }

  info(): NativeModelInfo {
    this.#assertUsable();
    return { ...this.#info };
  }

  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  tokenize(segments: readonly TokenizerSegment[], addSpecial: boolean): Int32Array;
  tokenize(input: string | readonly TokenizerSegment[], addSpecial: boolean, parseSpecial = false): Int32Array {
    this.#assertUsable();
    const ids = addSpecial ? [BOS] : [];
    // One byte per token, so parts tokenize apart exactly as they would joined.
    const segments = typeof input === "string" ? [{ text: input, parseSpecial }] : input;
    for (const segment of segments) {
      const parts = segment.parseSpecial ? segment.text.split(/(<s>|<\/s>)/) : [segment.text];
      for (const part of parts) {
        const special = SPECIAL_TEXT.indexOf(part);
        if (segment.parseSpecial && special > 0) ids.push(special);
        else for (const byte of Buffer.from(part, "utf8")) ids.push(BYTE0 + byte);
      }
    }
    return Int32Array.from(ids);
  }

  detokenize(tokens: Int32Array | number[], renderSpecial = false): string {
    this.#assertUsable();
    const bytes: number[] = [];
    let text = "";
    for (const id of tokens) {
      if (id >= BYTE0) {
        bytes.push(id - BYTE0);
        continue;
      }
      text += Buffer.from(bytes).toString("utf8") + (renderSpecial ? SPECIAL_TEXT[id] ?? "" : "");
      bytes.length = 0;
    }
    return text + Buffer.from(bytes).toString("utf8");
  }

  generate(request: NativeGenerateRequest, onEvent: (event: NativeGenerateEvent) => void): number {
    this.#assertUsable();
    const maxTokens = request.maxTokens ?? -1;
    if (maxTokens === 0 || maxTokens < -1) throw codedError("NT_E_BAD_REQUEST", `maxTokens ${maxTokens} is not allowed`);
    if (request.prompt.length >= this.#info.nCtx) {
      throw codedError("NT_E_BAD_REQUEST",
        `the prompt has ${request.prompt.length} tokens, more than fit in the context of ${this.#info.nCtx}`);
    }
    this.requests.push(request);
    const promptText = this.detokenize(request.prompt);
    const text = this.#file.text ?? ` ${[...promptText].reverse().join("")}.`;
    const id = this.#nextId++;
    const generation: Generation = {
      request, onEvent, script: [...Buffer.from(text, "utf8")].map((b) => BYTE0 + b), produced: 0,
      pending: [], cancelled: false, started: performance.now(),
    };
    this.#running.set(id, generation);
    setTimeout(() => this.#step(id), this.#tokenDelayMs);
    return id;
  }

  cancel(id: number): boolean {
    this.cancelCalls.push(id);
    const generation = this.#running.get(id);
    if (generation) generation.cancelled = true;
    return id > 0 && id < this.#nextId;
  }

  evaluate(): Promise<Float32Array> {
    return Promise.reject(codedError("NT_E_UNSUPPORTED", "the fake engine does not evaluate"));
  }

  failNextPass(error: { code: string; message: string }, options: { transient?: boolean } = {}): void {
    this.#nextPassError = { error, transient: options.transient ?? false };
  }

  stats(): ReturnType<NativeModel["stats"]> {
    // `failure` only once a pass failed for good, as the engine reports it.
    const counts = { active: this.#running.size, queued: 0, ...(this.#failure ? { failure: { ...this.#failure } } : {}) };
    // One pass per token generated so far, as a streamed decode makes.
    return { ...counts, stages: fakeStages(this.#passes) };
  }

  async dispose(): Promise<void> {
    for (const [id, generation] of this.#running) this.#end(id, generation, "cancelled");
    this.disposed = true;
  }

  /** Produces the next token, or ends the generation. */
  #step(id: number): void {
    const g = this.#running.get(id);
    if (!g) return;
    if (g.cancelled) return this.#end(id, g, "cancelled");
    if (this.#nextPassError || this.#failure) return this.#failPass();
    if (this.#file.hold && g.produced >= g.script.length) {
      // Held: looks again at the next token's time, for a cancel or a failure.
      setTimeout(() => this.#step(id), this.#tokenDelayMs);
      return;
    }
    const maxTokens = g.request.maxTokens ?? -1;
    if (g.produced >= g.script.length) return this.#end(id, g, "stop");
    if (maxTokens !== -1 && g.produced >= maxTokens) return this.#end(id, g, "length");
    if (g.request.prompt.length + g.produced >= this.#info.nCtx) return this.#end(id, g, "context");
    const token = g.script[g.produced++]!;
    this.#passes += 1;
    g.pending.push(token - BYTE0);
    const released = this.#release(g);
    g.onEvent({ type: "token", token, text: released.text, logprob: -0.5 });
    if (released.stopped) return this.#end(id, g, "stop");
    setTimeout(() => this.#step(id), this.#tokenDelayMs);
  }

  /** A failed pass: it carried every running generation, so each ends with the error. */
  #failPass(): void {
    const next = this.#nextPassError;
    this.#nextPassError = undefined;
    if (next && !next.transient) this.#failure = next.error;
    const error = next?.error ?? this.#failure!;
    for (const [id, g] of this.#running) this.#end(id, g, "error", error);
  }

  /**
   * The text the pending bytes release: all complete characters, except a tail that could still
   * become a stop string; `stopped` when a stop string is complete (its text is dropped).
   */
  #release(g: Generation): { text: string; stopped: boolean } {
    const complete = completeUtf8Length(g.pending);
    const text = Buffer.from(g.pending.slice(0, complete)).toString("utf8");
    const stops = g.request.stop ?? [];
    for (const stop of stops) {
      const at = text.indexOf(stop);
      if (at >= 0) {
        g.pending = [];
        return { text: text.slice(0, at), stopped: true };
      }
    }
    let keep = 0;
    for (const stop of stops) {
      for (let n = Math.min(stop.length - 1, text.length); n > keep; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    const releasedText = text.slice(0, text.length - keep);
    g.pending = g.pending.slice(Buffer.byteLength(releasedText, "utf8"));
    return { text: releasedText, stopped: false };
  }

  #end(id: number, g: Generation, reason: "stop" | "length" | "context" | "cancelled" | "error",
    error?: { code: string; message: string }): void {
    this.#running.delete(id);
    const tail = reason === "cancelled" || reason === "error" ? "" : Buffer.from(g.pending).toString("utf8");
    g.onEvent({
      type: "done", reason, text: tail, ...error,
      timings: { promptN: g.request.prompt.length, promptMs: 1, predictedN: g.produced,
        predictedMs: performance.now() - g.started },
    });
  }

  #assertUsable(): void {
    if (this.disposed) throw codedError("NT_E_BAD_REQUEST", `model ${this.path} has been disposed`);
  }
}

/** How many leading bytes form complete UTF-8 characters (a trailing incomplete sequence is held back). */
function completeUtf8Length(bytes: readonly number[]): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead byte
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
