import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { registerPlacementMetrics } from "./registerPlacementMetrics.js";

/** Which front door a request came through. */
export type RequestApi = "socket" | "http";

/** One generation being measured; end() it exactly once, however the generation ends. */
export interface GenerationObservation {
  /** Counts one generated token (the first one also fixes the time to first token). */
  token(): void;
  /** Records the generation's duration. Further calls do nothing. */
  end(): void;
}

/** Options of DaemonMetrics. */
export interface DaemonMetricsOptions {
  /**
   * Also export prom-client's process and Node.js metrics (process_resident_memory_bytes,
   * nodejs_eventloop_lag_seconds, …) under their usual, unprefixed names. Default true.
   */
  processMetrics?: boolean;
}

// Generation on a streamed 70B model takes minutes, on a tiny resident one milliseconds: the
// buckets span both ends (seconds).
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const FIRST_TOKEN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LOAD_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200];
const MODEL_STATES = ["loading", "loaded", "unloading", "failed"] as const;

/**
 * ntd's Prometheus metrics (prom-client), in a registry of their own. Every name starts with
 * `ntd_`; the list, with labels, is in daemon/metrics/README.md. Counters and histograms are
 * recorded as things happen; the per-model gauges are read from the model registries at scrape
 * time, so they can never drift from what `status` shows.
 */
export class DaemonMetrics {
  /** The prom-client registry holding every metric below; scrape it with metrics(). */
  readonly registry = new Registry();
  readonly #requests: Counter<"api" | "route" | "code">;
  readonly #promptTokens: Counter<"model">;
  readonly #generatedTokens: Counter<"model">;
  readonly #generationSeconds: Histogram<"model">;
  readonly #firstTokenSeconds: Histogram<"model">;
  readonly #loadSeconds: Histogram<"model">;
  /** Where the per-model gauges come from: each source lists the models of one ModelRegistry. */
  readonly #modelSources = new Set<() => ModelStatus[]>();

  constructor(options: DaemonMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({
      name: "ntd_requests_total", registers, labelNames: ["api", "route", "code"],
      help: "Requests answered, by api (socket, http), route (verb or HTTP path) and code (ok, or the NT_E_* error code)",
    });
    this.#promptTokens = new Counter({
      name: "ntd_prompt_tokens_total", registers, labelNames: ["model"],
      help: "Prompt tokens of the generations started",
    });
    this.#generatedTokens = new Counter({
      name: "ntd_generated_tokens_total", registers, labelNames: ["model"],
      help: "Tokens generated, cancelled generations included",
    });
    this.#generationSeconds = new Histogram({
      name: "ntd_generation_duration_seconds", registers, labelNames: ["model"], buckets: DURATION_BUCKETS,
      help: "Time from submitting a generation to its end (prompt processing included), however it ended",
    });
    this.#firstTokenSeconds = new Histogram({
      name: "ntd_time_to_first_token_seconds", registers, labelNames: ["model"], buckets: FIRST_TOKEN_BUCKETS,
      help: "Time from submitting a generation to its first generated token",
    });
    this.#loadSeconds = new Histogram({
      name: "ntd_model_load_duration_seconds", registers, labelNames: ["model"], buckets: LOAD_BUCKETS,
      help: "Time to load a model, of the loads that succeeded",
    });
    const sources = this.#modelSources;
    const listModels = () => [...sources].flatMap((list) => list());
    new Gauge({
      name: "ntd_active_sequences", registers, labelNames: ["model"],
      help: "Sequences generating now, per loaded model",
      collect() {
        this.reset();
        for (const m of listModels()) if (m.state === "loaded") this.set({ model: m.name }, m.active);
      },
    });
    new Gauge({
      name: "ntd_queued_sequences", registers, labelNames: ["model"],
      help: "Requests waiting for a sequence, per loaded model",
      collect() {
        this.reset();
        for (const m of listModels()) if (m.state === "loaded") this.set({ model: m.name }, m.queued);
      },
    });
    registerPlacementMetrics(registers, listModels);
    new Gauge({
      name: "ntd_models", registers, labelNames: ["state"],
      help: "Models the daemon holds, by state (loading, loaded, unloading, failed)",
      collect() {
        const models = listModels();
        // Every state is always exported (0 when none), so a dashboard's query never finds no series.
        for (const state of MODEL_STATES) this.set({ state }, models.filter((m) => m.state === state).length);
      },
    });
  }

  /** Counts one answered request. `route` must come from a bounded set (verb names, known paths). */
  countRequest(api: RequestApi, route: string, code: string): void {
    this.#requests.inc({ api, route, code });
  }

  /** Starts measuring a generation of `model` with a prompt of `promptTokens` tokens. */
  startGeneration(model: string, promptTokens: number): GenerationObservation {
    this.#promptTokens.inc({ model }, promptTokens);
    const started = performance.now();
    let sawToken = false;
    let ended = false;
    return {
      token: () => {
        this.#generatedTokens.inc({ model });
        if (sawToken) return;
        sawToken = true;
        this.#firstTokenSeconds.observe({ model }, (performance.now() - started) / 1000);
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.#generationSeconds.observe({ model }, (performance.now() - started) / 1000);
      },
    };
  }

  /** Records one successful model load that took `seconds`. */
  observeModelLoad(model: string, seconds: number): void {
    this.#loadSeconds.observe({ model }, seconds);
  }

  /**
   * Adds a source of the per-model gauges (a ModelRegistry's list()); returns the function that
   * removes it again (when that registry's daemon stops).
   */
  watchModels(list: () => ModelStatus[]): () => void {
    this.#modelSources.add(list);
    return () => this.#modelSources.delete(list);
  }

  /** The Prometheus text exposition of every metric, and its Content-Type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
