import { z } from "zod";

/** A token id: an index into the model's vocabulary (the daemon checks it is below nVocab). */
export const tokenIdSchema = z.int().min(0).max(2 ** 31 - 1);
