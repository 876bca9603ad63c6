import { z } from "zod";

/**
 * The label of a placed image (`place`'s name, kept in the image header and the helper's journal):
 * 1–128 of A–Z a–z 0–9 . _ -, starting with a letter, a digit or "_". So never "." or "..", never
 * a hidden name or one that reads as a command-line option, never a "/": a plain name that stays
 * harmless wherever it is shown or used.
 */
export const imageNameSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/,
  "must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter, a digit or _");
