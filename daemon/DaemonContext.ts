import type { EngineBinding } from "../cuda-engine/js/EngineBinding.js";
import type { ModelRegistry } from "./models/ModelRegistry.js";

/** What the verb handlers may know about the daemon they run in. */
export interface DaemonContext {
  /** The Unix socket path the daemon listens on. */
  socketPath: string;
  /** performance.now() when the daemon started serving; uptime is measured from it (monotonic). */
  startedAtMs: number;
  /** Loads the engine addon (once) or throws NT_E_ENGINE_UNAVAILABLE; called lazily, per request. */
  loadEngine: () => EngineBinding;
  /** The models the daemon holds. */
  models: ModelRegistry;
}
