import { closeSync } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import type { OpenedRawImage, RawImageSource } from "../storage/RawImageSource.js";
import { ModelTable } from "./ModelTable.js";

/** Where a load's weights come from, as the registry keys and loads it. */
export interface ModelSource {
  /** The registry's key: the file's canonical path, or "raw:<bdf>/<image name>". */
  key: string;
  /** The name the model gets when the load gives none: the file name without ".gguf", or the image's name. */
  defaultName: string;
  /** For a raw image: opens it through the helper (the caller closes the fd); none for a file. */
  openImage?: () => Promise<OpenedRawImage>;
}

/**
 * Resolves a load's path reference (storage "file") or image name (storage "raw") to its source.
 * A file must be an absolute path (NT_E_BAD_REQUEST) to an existing file (NT_E_NOT_FOUND) and is
 * keyed by its canonical path (symlinks resolved, so one file is one model). A raw image is
 * located through `rawImages` now and opened at load time, when it is checked to be still the
 * same image.
 */
export async function resolveModelSource(reference: string, storage: "file" | "raw" | undefined,
  rawImages: RawImageSource): Promise<ModelSource> {
  if (storage !== "raw") {
    const file = await canonicalModelPath(reference);
    return { key: file, defaultName: path.basename(file).replace(/\.gguf$/i, "") };
  }
  if (ModelTable.isPath(reference)) {
    throw new NtError("NT_E_BAD_REQUEST", `with storage "raw" the model is the name of a placed image, not a path like ${reference}`);
  }
  const { bdf } = await rawImages.locate(reference);
  const openImage = async (): Promise<OpenedRawImage> => {
    const image = await rawImages.open(bdf);
    if (image.name !== reference) {
      closeSync(image.fd);
      throw new NtError("NT_E_MODEL_NOT_FOUND", `the image on ${bdf} is now ${image.name}, not ${reference}; load it again`);
    }
    return image;
  };
  return { key: `raw:${bdf}/${reference}`, defaultName: reference, openImage };
}

/**
 * The canonical path of a model file. Checked here rather than left to the engine, so a missing
 * file is NT_E_NOT_FOUND whatever the engine says.
 */
async function canonicalModelPath(reference: string): Promise<string> {
  if (!path.isAbsolute(reference)) {
    throw new NtError("NT_E_BAD_REQUEST", `model path ${reference} is relative; the daemon needs an absolute path`);
  }
  try {
    const file = await realpath(reference);
    if (!(await stat(file)).isFile()) throw new NtError("NT_E_BAD_REQUEST", `${reference} is not a file`);
    return file;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new NtError("NT_E_NOT_FOUND", `no model file at ${reference}`, { cause: err });
    throw NtError.from(err);
  }
}
