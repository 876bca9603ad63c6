import type { EngineBinding, EngineDevice as AddonDevice } from "../cuda-engine/js/EngineBinding.js";
import { NtError } from "../protocol/NtError.js";
import type { EngineBuildInfo, EngineDevice, EngineReport } from "../protocol/verbs/engineInfo.js";
import type { WireError } from "../protocol/serverFrames.js";

/**
 * The engine part of `status`: its build and devices, or — when the addon cannot be loaded or
 * queried — the error, so that status still answers on a machine without the engine.
 */
export function engineReport(loadEngine: () => EngineBinding): EngineReport | { error: WireError } {
  try {
    const engine = loadEngine();
    const { cuda, devices } = engine.devices();
    return {
      build: engineBuildInfo(engine),
      cuda: {
        built: cuda.built, available: cuda.available, reason: cuda.reason,
        runtimeVersion: cuda.runtimeVersion, driverVersion: cuda.driverVersion,
      },
      devices: devices.map(toWireDevice),
    };
  } catch (err) {
    return { error: NtError.from(err).toWire() };
  }
}

/** The engine's build facts in wire form: the protocol's fields, copied by name. */
export function engineBuildInfo(engine: EngineBinding): EngineBuildInfo {
  const { version, cuda, cudaArchitectures, simd } = engine.buildInfo();
  return { version, cuda, cudaArchitectures, simd };
}

function toWireDevice(d: AddonDevice): EngineDevice {
  return {
    backend: d.backend, index: d.index, name: d.name, totalBytes: d.totalBytes,
    freeBytes: d.freeBytes, computeCapability: d.computeCapability, cores: d.cores,
  };
}
