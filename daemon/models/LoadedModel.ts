import type {
  NativeGenerateEvent, NativeGenerateRequest, NativeModel, NativeModelInfo, NativeStageStats, NativeTimings,
  TokenizerSegment,
} from "../../cuda-engine/js/EngineBinding.js";
import { NtError } from "../../protocol/NtError.js";
import type { ChatFormatId } from "../../protocol/verbs/chatFormats.js";
import type { ModelPlacement } from "../../protocol/verbs/modelPlacement.js";
import { placementOf } from "./wireForms.js";

/** The end of a generation that finished normally. */
export type NativeGenerationEnd = Extract<NativeGenerateEvent, { type: "done" }> & { reason: "stop" | "length" | "context" };

/** A token event, as the engine sends it. */
export type NativeTokenEvent = Extract<NativeGenerateEvent, { type: "token" }>;

/** Options of a LoadedModel. */
export interface LoadedModelOptions {
  /** The name requests use. Required. */
  name: string;
  /** The model file's canonical absolute path. Required. */
  path: string;
  /** The chat format the load asked for (load option chatTemplate). Default: none, detected. */
  chatTemplate?: ChatFormatId;
  /** The engine's model, which this object now owns and disposes. Required. */
  native: NativeModel;
  /**
   * How long dispose() waits for cancelled generations to report their end before it frees the
   * model anyway (their requests then end at once). Default 5000 ms.
   */
  cancelGraceMs?: number;
  /**
   * Asked before each generation with the number already in flight (running plus waiting in the
   * engine's queue); throws (NT_E_BUSY) to refuse it. The registry's ModelScheduler decides.
   * Default: every generation is taken.
   */
  admit?: (inFlight: number) => void;
  /**
   * Called after each generation starts and after each ends (however it ends), with the number
   * still in flight; the registry restarts keep-alive timers from it. Default: nothing.
   */
  onActivity?: (inFlight: number) => void;
  /**
   * Called once when a generation's error turns out to be the model's failure (the engine's
   * stats() report one: it computes nothing more), with that error; the registry then marks the
   * model failed and frees it. Called outside the engine's callback, so it may call back into the
   * engine. Default: nothing.
   */
  onFailure?: (failure: NtError) => void;
}

/** A generation the engine is running, as dispose() needs to end it. */
interface RunningGeneration {
  /** Asks the engine to stop; the request then fails with `reason`. */
  cancel(reason: NtError): void;
  /** Fails the request now, without waiting for the engine. */
  abandon(reason: NtError): void;
  /** Settles when the request has ended, one way or the other. */
  ended: Promise<void>;
}

/**
 * A model in memory: the engine's NativeModel plus its name, with errors turned into NtErrors and
 * every generation tracked, so that disposing the model ends its requests with a clear error
 * instead of leaving them hanging. Disposed once; a disposed model throws NT_E_MODEL_NOT_FOUND.
 */
export class LoadedModel {
  readonly name: string;
  readonly path: string;
  readonly info: NativeModelInfo;
  /** The backend the model runs on. */
  readonly backend: "cpu" | "cuda";
  /** The chat format the load asked for, overriding the file's template; undefined: detected (chatFormatOf). */
  readonly chatTemplate: ChatFormatId | undefined;
  /** When the load finished, in ms since the Unix epoch (/v1/models' `created`). */
  readonly loadedAt = Date.now();
  /** The engine's placement in wire form; undefined when the protocol cannot carry it (see placementError). */
  readonly placement: ModelPlacement | undefined;
  /** Why the engine's placement was left out (it did not fit the protocol); undefined when it was not. */
  readonly placementError: NtError | undefined;
  readonly #native: NativeModel;
  readonly #cancelGraceMs: number;
  readonly #admit: (inFlight: number) => void;
  readonly #onActivity: (inFlight: number) => void;
  readonly #onFailure: (failure: NtError) => void;
  #failureReported = false;
  readonly #running = new Set<RunningGeneration>();
  /** The engine's timings of the last generation that ended normally. */
  lastTimings: NativeTimings | undefined;
  #disposed: Promise<void> | undefined;

  constructor(options: LoadedModelOptions) {
    this.name = options.name;
    this.path = options.path;
    this.chatTemplate = options.chatTemplate;
    this.#native = options.native;
    this.#cancelGraceMs = options.cancelGraceMs ?? 5000;
    this.#admit = options.admit ?? (() => {});
    this.#onActivity = options.onActivity ?? (() => {});
    this.#onFailure = options.onFailure ?? (() => {});
    this.info = wrapped(() => options.native.info());
    this.backend = this.info.backend;
    try {
      this.placement = placementOf(this.info.placement);
    } catch (err) {
      this.placementError = NtError.from(err);
    }
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.#disposed !== undefined;
  }

  /** Generations started and not yet ended (running, or queued in the engine). */
  get inFlight(): number {
    return this.#running.size;
  }

  /** Text → token ids with the model's tokenizer. */
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): number[] {
    this.#assertUsable();
    return Array.from(wrapped(() => this.#native.tokenize(text, addSpecial, parseSpecial)));
  }

  /**
   * A prompt in parts → token ids, special-token texts recognised only in the parts that say so:
   * a chat prompt's template markers, never its messages (see TokenizerSegment).
   */
  tokenizeSegments(segments: readonly TokenizerSegment[], addSpecial: boolean): number[] {
    this.#assertUsable();
    return Array.from(wrapped(() => this.#native.tokenize(segments, addSpecial)));
  }

  /** Token ids → text; ids outside the vocabulary are refused with NT_E_BAD_REQUEST. */
  detokenize(tokens: readonly number[]): string {
    this.#assertUsable();
    this.assertTokensInVocabulary(tokens, "tokens");
    return wrapped(() => this.#native.detokenize(Int32Array.from(tokens)));
  }

  /** Refuses token ids the vocabulary does not have, naming the first one (the engine would fail less clearly). */
  assertTokensInVocabulary(tokens: readonly number[], what: string): void {
    const bad = tokens.findIndex((t) => t >= this.info.nVocab);
    if (bad >= 0) {
      throw new NtError("NT_E_BAD_REQUEST",
        `${what}[${bad}] is ${tokens[bad]}, but model ${this.name} has ${this.info.nVocab} tokens (ids 0-${this.info.nVocab - 1})`);
    }
  }

  /**
   * Requests generating and waiting, as the engine counts them, and its streaming stages' timers;
   * zeros and no stages once disposed (or when the engine cannot say).
   */
  stats(): { active: number; queued: number; stages?: NativeStageStats } {
    if (this.disposed) return { active: 0, queued: 0 };
    try {
      const { active, queued, stages } = this.#native.stats();
      return { active, queued, stages };
    } catch {
      return { active: this.#running.size, queued: 0 };
    }
  }

  /**
   * Runs one generation: `onToken` gets each token event as the engine sends it; the promise
   * resolves with the final event, or rejects with NT_E_CANCELLED when `signal` aborts (the engine
   * request is cancelled too), or with the engine's error.
   */
  generate(request: NativeGenerateRequest, onToken: (event: NativeTokenEvent) => void,
    signal: AbortSignal): Promise<NativeGenerationEnd> {
    this.#assertUsable();
    if (signal.aborted) return Promise.reject(new NtError("NT_E_CANCELLED", "the request was cancelled before it started"));
    try {
      // Refused before the engine sees it.
      this.#admit(this.#running.size);
    } catch (err) {
      return Promise.reject(NtError.from(err));
    }
    return new Promise((resolve, reject) => {
      let id: number | undefined;
      let cancelReason: NtError | undefined;
      let settled = false;
      let markEnded = () => {};
      const generation: RunningGeneration = {
        cancel: (reason) => {
          cancelReason ??= reason;
          if (id !== undefined) this.#native.cancel(id);
        },
        abandon: (reason) => finish(() => reject(reason)),
        ended: new Promise((resolveEnded) => { markEnded = resolveEnded; }),
      };
      const onAbort = () => generation.cancel(new NtError("NT_E_CANCELLED", "the request was cancelled"));
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        this.#running.delete(generation);
        markEnded();
        settle();
        this.#notifyActivity();
      };
      const onEvent = (event: NativeGenerateEvent) => {
        if (settled) return;
        if (event.type === "token") {
          try {
            return onToken(event);
          } catch (err) {
            // This runs inside the addon's callback, where a throw would be an uncaught exception
            // that ends the daemon: fail this request instead, and stop its generation.
            generation.cancel(NtError.from(err));
            return finish(() => reject(NtError.from(err)));
          }
        }
        if (event.reason === "cancelled") {
          return finish(() => reject(cancelReason ?? new NtError("NT_E_CANCELLED", "the engine cancelled the request")));
        }
        if (event.reason === "error") {
          finish(() => reject(engineError(event.code, event.message)));
          return this.#checkFailure();
        }
        this.lastTimings = event.timings;
        finish(() => resolve(event as NativeGenerationEnd));
      };
      try {
        id = this.#native.generate(request, onEvent);
      } catch (err) {
        finish(() => reject(NtError.from(err)));
        return this.#checkFailure();
      }
      this.#running.add(generation);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#notifyActivity();
    });
  }

  /**
   * Cancels every generation in flight (each fails with `reason` once the engine confirms); the
   * model stays usable. Returns how many were cancelled.
   */
  cancelAll(reason: NtError): number {
    const running = [...this.#running];
    for (const generation of running) generation.cancel(reason);
    return running.length;
  }

  /**
   * After a generation's error: tells the owner once if the engine reports the model failed. Most
   * errors (a bad request) leave the model usable, and an addon without `failure` never reports
   * one. Deferred out of the engine's callback, where freeing the model must not happen.
   */
  #checkFailure(): void {
    if (this.#failureReported || this.disposed) return;
    const failure = failureOf(this.#native);
    if (!failure) return;
    this.#failureReported = true;
    setImmediate(() => {
      try {
        this.#onFailure(failure);
      } catch {
        // The owner's bookkeeping must not become an uncaught exception that ends the daemon.
      }
    });
  }

  /** Tells the owner how many generations are in flight; its failure must not fail a request. */
  #notifyActivity(): void {
    try {
      this.#onActivity(this.#running.size);
    } catch {
      // The callback only reschedules timers; a bug there must not end a generation or the daemon.
    }
  }

  /**
   * Ends every generation with `reason` (cancelling it in the engine, then waiting up to
   * cancelGraceMs for the engine to confirm), then frees the model. Safe to call twice.
   */
  dispose(reason: NtError): Promise<void> {
    this.#disposed ??= this.#dispose(reason);
    return this.#disposed;
  }

  async #dispose(reason: NtError): Promise<void> {
    const running = [...this.#running];
    for (const generation of running) generation.cancel(reason);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.#cancelGraceMs); });
    await Promise.race([Promise.all(running.map((g) => g.ended)), grace]);
    clearTimeout(timer);
    for (const generation of this.#running) generation.abandon(reason);
    await this.#native.dispose().catch((err: unknown) => {
      throw NtError.from(err);
    });
  }

  #assertUsable(): void {
    if (this.disposed) throw new NtError("NT_E_MODEL_NOT_FOUND", `model ${this.name} has been unloaded`);
  }
}

/** Calls into the engine, turning its Error-with-code into an NtError. */
function wrapped<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw NtError.from(err);
  }
}

/** The engine's failure of the model as an NtError; undefined when none is reported (or stats() itself fails). */
function failureOf(native: NativeModel): NtError | undefined {
  try {
    const { failure } = native.stats() as { failure?: { code?: unknown; message?: unknown } };
    if (typeof failure?.code !== "string") return undefined;
    return engineError(failure.code, typeof failure.message === "string" ? failure.message : undefined);
  } catch {
    return undefined;
  }
}

/** The error a "done" event with reason "error" reports. */
function engineError(code: string | undefined, message: string | undefined): NtError {
  return NtError.from(Object.assign(new Error(message ?? "the engine failed without a message"), { code }));
}
