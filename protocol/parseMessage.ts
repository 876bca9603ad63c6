import type { z } from "zod";
import type { NtErrorCode } from "./errorCodes.js";
import { NtError } from "./NtError.js";

/**
 * Validates a decoded message against its schema and returns the typed value. On failure throws
 * an NtError (NT_E_BAD_REQUEST unless `code` says otherwise) whose message names every offending
 * field by its path, e.g. `request.params.depth: unknown field`.
 */
export function parseMessage<S extends z.ZodType>(schema: S, value: unknown, where: string,
  code: NtErrorCode = "NT_E_BAD_REQUEST"): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new NtError(code, parsed.error.issues.map((issue) => describeIssue(issue, where)).join("; "));
}

function describeIssue(issue: z.core.$ZodIssue, where: string): string {
  const at = [where, ...issue.path.map(String)].join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${at}.${key}: unknown field`).join("; ");
  }
  return `${at}: ${issue.message}`;
}
