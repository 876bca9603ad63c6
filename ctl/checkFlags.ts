import type { z } from "zod";
import { parseMessage } from "../protocol/parseMessage.js";

/**
 * The flag that sets each protocol field, where it is not simply "--" and the field in kebab case
 * (maxTokens is -n/--max-tokens as in llama.cpp; nCtx is -c/--ctx-size).
 */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  maxTokens: "-n/--max-tokens",
  nCtx: "-c/--ctx-size",
  threads: "-t/--threads",
  model: "the model argument",
  prompt: "the prompt",
};

/** Fields of the verbs' params that no flag sets (the command builds them): named by their path. */
const NOT_FLAGS = new Set(["messages", "tokens", "addSpecial", "parseSpecial"]);

/**
 * Checks a request's params (or part of them) against the protocol's schema before sending them,
 * so a bad value is refused naming the flag the user wrote (`-n/--max-tokens: Too small: expected
 * number to be >=1`) rather than the protocol field the daemon would name (`params.maxTokens`).
 * NT_E_BAD_REQUEST (exit 2), as the daemon's refusal would be.
 */
export function checkFlags(schema: z.ZodType, params: unknown): void {
  parseMessage(schema, params, "params", "NT_E_BAD_REQUEST", flagOfPath);
}

function flagOfPath(path: readonly PropertyKey[]): string | undefined {
  const [field] = path;
  if (typeof field !== "string" || NOT_FLAGS.has(field)) return undefined;
  return FLAG_OF_FIELD[field] ?? `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
