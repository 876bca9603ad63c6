import type { KeepAlive } from "../../protocol/verbs/keepAlive.js";
import type { LoadOptions } from "../../protocol/verbs/loadOptions.js";
import type { StorageBackend } from "../../protocol/verbs/storageBackend.js";
import type { VerbResult } from "../../protocol/verbs.js";
import { VERBS } from "../../protocol/verbs.js";
import { checkFlags } from "../checkFlags.js";
import type { NtClient } from "../NtClient.js";
import { loadProgressBar } from "./loadProgressBar.js";
import { toModelReference } from "./toModelReference.js";

/** Options of loadModel. */
export interface LoadModelOptions {
  /** The load options, sent as they are (loadOptionsOf makes them from the flags). Default: none, the daemon's. */
  load?: LoadOptions;
  /** How long the daemon keeps the model loaded once idle (see LoadArgs.keepAlive). Default: the daemon's. */
  keepAlive?: KeepAlive;
  /** The name to load the model under. Default: the daemon's choice (the file name without .gguf). */
  name?: string;
  /**
   * "raw": `argument` is the name of an image placed with `ntctl place`, read from its raw block
   * device; "vfio": that image read through nt-nvme-helper's data plane (the device bound to
   * vfio-pci). Default "file": a path (or a loaded model's name).
   */
  storage?: StorageBackend;
  /** Draw a progress bar on stderr while the daemon reads the weights. Default: when stderr is a terminal. */
  showProgress?: boolean;
  /** Aborting stops waiting (the daemon's load goes on). Default: none. */
  signal?: AbortSignal;
}

/**
 * Has the daemon load a model named on the command line (a path, or the name of a loaded model)
 * and returns what the daemon says about it. A model already loaded answers at once, with no bar.
 */
export async function loadModel(client: NtClient, argument: string, options: LoadModelOptions = {}): Promise<VerbResult<"load">> {
  const { showProgress = process.stderr.isTTY, signal } = options;
  const bar = showProgress ? loadProgressBar(argument) : undefined;
  const image = options.storage !== undefined && options.storage !== "file";
  try {
    const params = {
      // storage is sent only when not "file", so a file load still works with a daemon that predates it.
      model: image ? argument : toModelReference(argument),
      ...(image ? { storage: options.storage } : {}), name: options.name,
      keepAlive: options.keepAlive, ...options.load,
    };
    checkFlags(VERBS.load.params, params);
    return await client.request("load", params, {
      signal,
      onEvent: ({ done, total }) => bar?.update(done, total),
    });
  } finally {
    bar?.stop();
  }
}
