import { z } from "zod";

/**
 * How a request names a model: the name it was loaded under (no "/" in it), or the absolute path
 * of its GGUF file. Relative paths are refused by the daemon: its working folder is not the
 * caller's, so the client resolves them (ntctl does).
 */
export const modelReferenceSchema = z.string().min(1).max(4096);
