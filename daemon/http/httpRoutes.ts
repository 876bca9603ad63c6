import { handleChatCompletions } from "./handleChatCompletions.js";
import { handleCompletions } from "./handleCompletions.js";
import { handleHealth } from "./handleHealth.js";
import { handleListModels } from "./handleListModels.js";
import { handleMetrics } from "./handleMetrics.js";
import type { HttpRoute } from "./HttpExchange.js";

/**
 * Every HTTP route: path → method → handler. A path not here is 404; a method not listed for a
 * path is 405 (with Allow). Paths are also the `route` label of ntd_requests_total, which is why
 * unknown paths never become labels.
 */
export const httpRoutes: Readonly<Record<string, Readonly<Record<string, HttpRoute>>>> = {
  "/v1/models": { GET: handleListModels },
  "/v1/chat/completions": { POST: handleChatCompletions },
  "/v1/completions": { POST: handleCompletions },
  "/health": { GET: handleHealth },
  "/metrics": { GET: handleMetrics },
};
