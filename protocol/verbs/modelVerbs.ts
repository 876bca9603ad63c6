import { z } from "zod";
import { keepAliveSchema } from "./keepAlive.js";
import { loadOptionsSchema } from "./loadOptions.js";
import { loadProgressEventSchema } from "./loadProgressEvent.js";
import { modelInfoSchema } from "./modelInfo.js";
import { modelReferenceSchema } from "./modelReference.js";
import { storageBackendSchema } from "./storageBackend.js";

// The verbs of a model's residency: load it, unload it, cancel its requests.

/**
 * `load`: loads a GGUF model, streaming `progress` events, and answers with its name and facts.
 * A model already loaded from the same file (or named by `model`) is answered at once when it has
 * every load option and the `name` given, its keep-alive replaced by `keepAlive`; otherwise it is
 * reloaded with them when idle (keeping the options not given), and the load fails with NT_E_BUSY
 * while it has requests in flight. Concurrent loads of one file share one load. When the daemon
 * already holds its maximum of models, the least recently used idle one is unloaded first; when
 * all of them are busy, the load fails with NT_E_BUSY.
 */
export const loadVerb = {
  params: z.strictObject({
    /**
     * Absolute path of the .gguf file, or the name of a model already loaded; with storage "raw" or
     * "vfio", the name of an image placed on an allowlisted device (`ntctl place`).
     */
    model: modelReferenceSchema,
    /**
     * Where the weights are read from: "file" (default), the GGUF file at `model`; "raw", the
     * image named `model` on a raw block device, opened through nt-nvme-helper; "vfio", that image
     * on a device bound to vfio-pci (`ntctl bind`), read through the helper's data plane.
     */
    storage: storageBackendSchema.optional(),
    /** The name to load it under; default the file name without ".gguf". No "/" allowed. */
    name: z.string().min(1).max(256).regex(/^[^/]+$/, "a model name must not contain '/'").optional(),
    /**
     * How long the model stays loaded once idle (see keepAliveSchema): 0 unloads it as soon as it
     * is idle, negative never. Default: the daemon's configured default (5 minutes unless set).
     */
    keepAlive: keepAliveSchema.optional(),
    ...loadOptionsSchema.shape,
  }),
  event: loadProgressEventSchema,
  result: z.strictObject({
    /** The name later requests may use. */
    name: z.string(),
    /** The model file's canonical absolute path; for a raw image "raw:<bdf>/<image name>". */
    path: z.string(),
    info: modelInfoSchema,
  }),
};

/**
 * `unload`: frees a model. Its requests in flight end with NT_E_CANCELLED; a model still loading
 * is unloaded once its load ends. What `ntctl stop` sends.
 */
export const unloadVerb = {
  params: z.strictObject({
    /** The model's name, or the absolute path it was loaded from. */
    model: modelReferenceSchema,
  }),
  result: z.strictObject({
    /** The name the model had. */
    name: z.string(),
  }),
};

/**
 * `cancelAll`: cancels every `generate` and `chat` request in flight for one model (from any
 * client); each ends with NT_E_CANCELLED. The model stays loaded. What `ntctl cancel` sends.
 */
export const cancelAllVerb = {
  params: z.strictObject({
    /** The model's name, or the absolute path it was loaded from. */
    model: modelReferenceSchema,
  }),
  result: z.strictObject({
    /** The model's name. */
    name: z.string(),
    /** How many requests were cancelled. */
    cancelled: z.int().nonnegative(),
  }),
};
