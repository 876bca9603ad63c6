import { Counter, Gauge, type Registry } from "prom-client";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";

const TIERS = ["vram", "pinned", "streamed"] as const;
const STAGE_TIMES = [["read", "readMs"], ["h2d", "h2dMs"], ["compute", "computeMs"], ["stall", "stallMs"]] as const;

/**
 * The three-tier metrics of loaded models: the placement (fixed per load) and the streaming
 * stages' cumulative timers. All are read from `listModels` (the registries' status entries) at
 * scrape time, like the other per-model gauges: a series appears with the load and is gone after
 * the unload, and never drifts from `status`. The stage counters restart from 0 when a model is
 * loaded again, which Prometheus' rate() reads as a counter reset.
 */
export function registerPlacementMetrics(registers: Registry[], listModels: () => ModelStatus[]): void {
  const loaded = () => listModels().filter((m) => m.state === "loaded");
  new Gauge({
    name: "ntd_model_bytes", registers, labelNames: ["model", "tier"],
    help: "Weight bytes per placement tier (vram: resident; pinned: copied from pinned RAM each pass; streamed: read from storage each pass), per loaded model",
    collect() {
      this.reset();
      for (const m of loaded()) for (const tier of TIERS) if (m.placement) this.set({ model: m.name, tier }, m.placement.bytes[tier]);
    },
  });
  new Gauge({
    name: "ntd_model_bound_tokens_per_second", registers, labelNames: ["model"],
    help: "The planner's decode bound of one sequence (link speed / bytes moved per pass), per loaded model",
    collect() {
      this.reset();
      for (const m of loaded()) if (m.placement) this.set({ model: m.name }, m.placement.boundTokensPerSecond);
    },
  });
  new Counter({
    name: "ntd_stream_stage_seconds_total", registers, labelNames: ["model", "stage"],
    help: "Time the streaming pipeline spent per stage since the model's load (read: storage reads; h2d: host-to-device copies; compute; stall: compute waiting for weights); stages overlap",
    collect() {
      this.reset();
      for (const m of loaded()) {
        for (const [stage, field] of STAGE_TIMES) if (m.stages) this.inc({ model: m.name, stage }, m.stages[field] / 1000);
      }
    },
  });
  new Counter({
    name: "ntd_stream_bytes_total", registers, labelNames: ["model", "stage"],
    help: "Bytes the streaming pipeline moved since the model's load (read: from storage; h2d: host to device)",
    collect() {
      this.reset();
      for (const m of loaded()) {
        if (!m.stages) continue;
        this.inc({ model: m.name, stage: "read" }, m.stages.bytesRead);
        this.inc({ model: m.name, stage: "h2d" }, m.stages.bytesCopied);
      }
    },
  });
  new Counter({
    name: "ntd_stream_passes_total", registers, labelNames: ["model"],
    help: "Forward passes since the model's load",
    collect() {
      this.reset();
      for (const m of loaded()) if (m.stages) this.inc({ model: m.name }, m.stages.passes);
    },
  });
}
