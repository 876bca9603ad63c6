import type { EngineBinding } from "../cuda-engine/js/EngineBinding.js";
import type { EngineBuildInfo } from "../protocol/verbs/engineInfo.js";

/** The engine's build facts in wire form: the protocol's fields, copied by name. */
export function engineBuildInfo(engine: EngineBinding): EngineBuildInfo {
  const { version, cuda, cudaArchitectures, simd } = engine.buildInfo();
  return { version, cuda, cudaArchitectures, simd };
}
