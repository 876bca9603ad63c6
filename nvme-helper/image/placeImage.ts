import { NtError } from "../../protocol/NtError.js";
import type { HelperVerbParams, HelperVerbResult } from "../../protocol/helper/helperVerbs.js";
import type { CheckedDevice } from "../device/checkDevice.js";
import { refuseIfInUse } from "../device/deviceInUse.js";
import type { VerbContext } from "../HelperMonitor.js";
import type { JournalBegin } from "../journal/UndoJournal.js";
import { checkSourceFd } from "./checkSourceFd.js";
import { ImageArea, locateImageArea } from "./ImageArea.js";
import type { ImageHeader } from "./imageHeader.js";

/**
 * `place`: writes the GGUF behind `fd` (opened read-only by the client; the helper never opens a
 * client's path) into the device's image area, then reads it back. Order, each step durable
 * before the next: journal begin → header INVALID → data (O_DIRECT) → fdatasync → read-back
 * SHA-256 → header VALID → journal end. A crash anywhere leaves a journal entry that repair()
 * resolves to "verified complete" or "INVALID", never a header claiming an unverified image.
 * Once `signal` aborts (the client hung up: nobody would learn the outcome) it stops after the
 * chunk being written, or before the read-back, with NT_E_CANCELLED, through the same path as a
 * failure: header INVALID, journal end. `fd` stays the caller's to close.
 */
export async function placeImage(context: VerbContext, params: HelperVerbParams<"place">, fd: number,
  onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<HelperVerbResult<"place">> {
  const device = context.check(params.device);
  const ggufBytes = await checkSourceFd(fd, context.clientFdTimeoutMs);
  const location = locateImageArea(device.allowed, device.facts, context.devRoot);
  refuseIfInUse(params.device, device.facts, context.procRoot);
  const area = ImageArea.open(location, "write");
  try {
    refuseUnfitArea(area, device, params.device, ggufBytes);
    const txn = context.journal.begin({
      op: "place", bdf: params.device, pciId: device.pciId, identity: device.identity,
      placement: { name: params.name, ggufBytes, startLba: device.allowed.imageArea.startLba, areaBytes: device.allowed.imageArea.sizeBytes },
    });
    const invalid: ImageHeader = { state: "invalid", name: params.name, ggufBytes, sha256: "", placedAtMs: Date.now() };
    const stopIfHungUp = (done: number) => {
      if (signal?.aborted) {
        throw new NtError("NT_E_CANCELLED", `the client hung up: place of ${params.name} on ${params.device} stopped after ` +
          `${done} of ${ggufBytes} bytes; the image stays INVALID`);
      }
    };
    try {
      await context.step(txn, "place:header-invalid", async () => area.writeHeader(invalid));
      context.journal.step(txn, "place:write");
      onProgress(0, ggufBytes);
      const report = reportChunks(ggufBytes, onProgress, () => context.afterStep("place:write"));
      const written = await area.writeData(fd, ggufBytes, (done) => {
        report(done);
        stopIfHungUp(done);
      });
      await context.step(txn, "place:sync", async () => area.sync());
      stopIfHungUp(ggufBytes);
      context.journal.step(txn, "place:verify");
      const readBack = await area.hashData(ggufBytes);
      context.afterStep("place:verify");
      if (readBack !== written) throw new NtError("NT_E_IO", `read-back SHA-256 ${readBack} differs from the ${written} written to ${params.device}`);
      const valid: ImageHeader = { ...invalid, state: "valid", sha256: readBack, placedAtMs: Date.now() };
      await context.step(txn, "place:header-valid", async () => area.writeHeader(valid));
      context.journal.end(txn, "ok");
      return { device: params.device, image: { name: valid.name, sizeBytes: ggufBytes, sha256: readBack, placedAtMs: valid.placedAtMs } };
    } catch (err) {
      // The header still says INVALID (or was never written over the old one); say so durably.
      try {
        area.writeHeader({ ...invalid, placedAtMs: Date.now() });
        context.journal.end(txn, "failed");
      } catch {
        // Left to repair() at the next start, from the open journal entry.
      }
      throw err;
    }
  } finally {
    area.close();
  }
}

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

/** NT_E_IMAGE_TOO_LARGE when the GGUF does not fit after the header; NT_E_FOREIGN_SIGNATURE when the area holds something not ours. */
function refuseUnfitArea(area: ImageArea, device: CheckedDevice, bdf: string, ggufBytes: number): void {
  if (!area.fits(ggufBytes)) {
    throw new NtError("NT_E_IMAGE_TOO_LARGE", `the GGUF has ${ggufBytes} bytes; the image area of ${bdf} holds ${area.capacityBytes} after its header`);
  }
  const start = area.readStart();
  if (start.kind === "foreign") {
    throw new NtError("NT_E_FOREIGN_SIGNATURE", `the image area of ${bdf} (LBA ${device.allowed.imageArea.startLba}) holds data that is not an ntransformer image ` +
      "(a filesystem, a partition table…); zero it by hand if it is really scratch space");
  }
}

/**
 * The afterChunk callback of ImageArea.writeData: calls `afterFirstChunk` once (the crash hook of
 * place:write), and `onProgress` at the last chunk and otherwise at most every 100 ms.
 */
function reportChunks(total: number, onProgress: (done: number, total: number) => void, afterFirstChunk: () => void): (done: number) => void {
  let lastReport = Date.now();
  let firstChunk = true;
  return (done) => {
    if (firstChunk) afterFirstChunk();
    firstChunk = false;
    if (done === total || Date.now() - lastReport >= 100) {
      lastReport = Date.now();
      onProgress(done, total);
    }
  };
}
