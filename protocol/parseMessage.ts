import type { z } from "zod";
import type { NtErrorCode } from "./errorCodes.js";
import { NtError } from "./NtError.js";

/**
 * The name the user wrote for the field at `path` (a command-line flag, an HTTP API's JSON field),
 * or undefined to name it by its path in the message.
 */
export type FieldNamer = (path: readonly PropertyKey[]) => string | undefined;

/**
 * Validates a decoded message against its schema and returns the typed value. On failure throws
 * an NtError (NT_E_BAD_REQUEST unless `code` says otherwise) whose message names every offending
 * field: as `nameField` names it when it does (`-n: Too small…`, `max_tokens: …`), so a user reads
 * what they wrote rather than the protocol's name for it; else by its path, e.g.
 * `request.params.depth: unknown field`.
 */
export function parseMessage<S extends z.ZodType>(schema: S, value: unknown, where: string,
  code: NtErrorCode = "NT_E_BAD_REQUEST", nameField?: FieldNamer): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new NtError(code, parsed.error.issues.map((issue) => describeIssue(issue, where, nameField)).join("; "));
}

function describeIssue(issue: z.core.$ZodIssue, where: string, nameField: FieldNamer | undefined): string {
  const at = [where, ...issue.path.map(String)].join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${nameField?.([...issue.path, key]) ?? `${at}.${key}`}: unknown field`).join("; ");
  }
  return `${nameField?.(issue.path) ?? at}: ${issue.message}`;
}
