import { packageVersion } from "../../protocol/packageVersion.js";
import { PROTOCOL_VERSION } from "../../protocol/protocolVersion.js";
import type { EngineBuildInfo } from "../../protocol/verbs/engineInfo.js";
import { engineBuildInfo } from "../engineReport.js";
import type { VerbHandler } from "./VerbHandler.js";

/** `version`: the daemon's, protocol's, Node's and engine's versions; engine null when it cannot load. */
export const handleVersion: VerbHandler<"version"> = (_params, context) => {
  let engine: EngineBuildInfo | null = null;
  try {
    engine = engineBuildInfo(context.loadEngine());
  } catch {
    // `version` only reports what is there; `status` carries the reason the engine is missing.
  }
  return { daemon: packageVersion(), protocol: PROTOCOL_VERSION, node: process.version, engine };
};
