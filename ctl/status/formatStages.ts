import type { StreamStages } from "../../protocol/verbs/streamStages.js";
import { formatBytes } from "../format.js";

/**
 * The streaming stages in one line: passes, time per pass in each stage (the stages overlap; a
 * large stall means the link, not compute, sets the speed), and the bytes moved since the load.
 */
export function formatStages(stages: StreamStages): string {
  const moved = `${formatBytes(stages.bytesRead)} read, ${formatBytes(stages.bytesCopied)} copied`;
  if (!stages.perPass) return `${stages.passes} passes, ${moved}`;
  const { readMs, h2dMs, computeMs, stallMs } = stages.perPass;
  return `${stages.passes} passes; per pass: read ${ms(readMs)}, h2d ${ms(h2dMs)}, compute ${ms(computeMs)}, `
    + `stall ${ms(stallMs)}; ${moved}`;
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}
