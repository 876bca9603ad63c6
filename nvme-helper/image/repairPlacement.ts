import type { JournalBegin } from "../journal/UndoJournal.js";
import type { VerbContext } from "../VerbContext.js";
import { ImageArea } from "./ImageArea.js";
import { locateImageArea } from "./locateImageArea.js";

/**
 * Resolves a placement a crash left open: a VALID header whose image reads back with its
 * SHA-256 is kept ("verified complete"); any other header of ours becomes INVALID. An area
 * without our header was never written (the header goes first), so it is left alone.
 * Returns what was done, for the start-up log.
 */
export async function repairPlacement(context: VerbContext, record: JournalBegin): Promise<string> {
  const device = context.check(record.bdf);
  const area = ImageArea.open(locateImageArea(device.allowed, device.facts, context.devRoot), "write");
  try {
    const start = area.readStart();
    if (start.kind === "zero" || start.kind === "foreign") return "the area was not written";
    if (start.kind === "image" && start.header.state === "valid" &&
      await area.hashData(start.header.ggufBytes) === start.header.sha256) {
      return `image ${start.header.name} verified complete`;
    }
    const name = start.kind === "image" ? start.header.name : record.placement?.name ?? "";
    const ggufBytes = start.kind === "image" ? start.header.ggufBytes : record.placement?.ggufBytes ?? 0;
    area.writeHeader({ state: "invalid", name, ggufBytes, sha256: "", placedAtMs: Date.now() });
    return `image ${name} marked INVALID`;
  } finally {
    area.close();
  }
}
