import { closeSync } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import type { StorageBackend } from "../../protocol/verbs/storageBackend.js";
import type { DataplaneSource, OpenedDataplane } from "../storage/DataplaneSource.js";
import { endDataplaneSession } from "../storage/endDataplaneSession.js";
import type { OpenedRawImage, RawImageSource } from "../storage/RawImageSource.js";
import { ModelTable } from "./ModelTable.js";

/** Where a load's weights come from, as the registry keys and loads it. */
export interface ModelSource {
  /** The registry's key: the file's canonical path, "raw:<bdf>/<image name>" or "vfio:<bdf>/<image name>". */
  key: string;
  /** The name the model gets when the load gives none: the file name without ".gguf", or the image's name. */
  defaultName: string;
  /** For a raw image: opens it through the helper (the caller closes the fd); none for a file. */
  openImage?: () => Promise<OpenedRawImage>;
  /** For an image read through the data plane: opens a session on it (the caller closes the fd); none otherwise. */
  openDataplane?: () => Promise<OpenedDataplane>;
}

/** Where a load's images come from: the helper's open-image (raw) and open-dataplane (vfio). */
export interface ImageSources {
  rawImages: RawImageSource;
  dataplanes: DataplaneSource;
}

/**
 * Resolves a load's path reference (storage "file") or image name (storage "raw" or "vfio") to its
 * source. A file must be an absolute path (NT_E_BAD_REQUEST) to an existing file (NT_E_NOT_FOUND)
 * and is keyed by its canonical path (symlinks resolved, so one file is one model). An image is
 * located through the helper now and opened at load time, when it is checked to be still the
 * same image: a raw one on its block device, a vfio one on a device bound to vfio-pci.
 */
export async function resolveModelSource(reference: string, storage: StorageBackend | undefined,
  sources: ImageSources): Promise<ModelSource> {
  if (storage === undefined || storage === "file") {
    const file = await canonicalModelPath(reference);
    return { key: file, defaultName: path.basename(file).replace(/\.gguf$/i, "") };
  }
  if (ModelTable.isPath(reference)) {
    throw new NtError("NT_E_BAD_REQUEST", `with storage "${storage}" the model is the name of a placed image, not a path like ${reference}`);
  }
  return storage === "raw" ? rawSource(reference, sources.rawImages) : vfioSource(reference, sources.dataplanes);
}

/** A raw image: located now, opened (and its name checked again) at load time. */
async function rawSource(reference: string, rawImages: RawImageSource): Promise<ModelSource> {
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
 * An image behind the data plane: its bound device located now; the session opened at load time,
 * when the image its driver reads must have the name (else the session is ended unused).
 */
async function vfioSource(reference: string, dataplanes: DataplaneSource): Promise<ModelSource> {
  const { bdf } = await dataplanes.locateBound(reference);
  const openDataplane = async (): Promise<OpenedDataplane> => {
    const session = await dataplanes.openDataplane(bdf);
    if (session.name !== reference) {
      endDataplaneSession(session.fd);
      throw new NtError("NT_E_MODEL_NOT_FOUND", `the image on ${bdf} is ${session.name}, not ${reference}; place it, or load ${session.name}`);
    }
    return session;
  };
  return { key: `vfio:${bdf}/${reference}`, defaultName: reference, openDataplane };
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
