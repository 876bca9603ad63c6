import type { z } from "zod";
import { NtError } from "../../protocol/NtError.js";

/**
 * An NT_E_BAD_REQUEST error for a configuration source that failed validation, naming the source
 * and each offending key as that source spells it (`keyName`: "queueLimit", "NT_QUEUE_LIMIT",
 * "--queue-limit").
 */
export function configError(source: string, error: z.ZodError, keyName: (key: string) => string = (key) => key): NtError {
  const problems = error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => `unknown key "${keyName(key)}"`).join(", ");
    const key = issue.path.map(String).join(".");
    return key ? `"${keyName(key)}": ${issue.message}` : issue.message;
  });
  return new NtError("NT_E_BAD_REQUEST", `${source}: ${problems.join("; ")}`);
}
