import { handleChatCompletions } from "./handleChatCompletions.js";
import { handleCompletions } from "./handleCompletions.js";
import { sendJson, type HttpRoute } from "./HttpExchange.js";

/**
 * GET /v1/models: the loaded models, in OpenAI's list shape; `id` is the name requests use, and
 * `created` the time its load finished (unix seconds), as llama-server and Ollama report theirs.
 * Models still loading are left out, since requests for them would wait.
 */
const handleListModels: HttpRoute = async ({ res, registry }) => {
  const data = registry.loadedModels()
    .map((m) => ({ id: m.name, object: "model", created: Math.floor(m.loadedAt / 1000), owned_by: "ntd" }));
  sendJson(res, 200, { object: "list", data });
};

/**
 * GET /health: 503 while any model is loading (as llama-server answers while it loads), else
 * 200, so a load balancer or a script can wait for a load it started to finish.
 */
const handleHealth: HttpRoute = async ({ res, registry }) => {
  const loading = registry.list().filter((m) => m.state === "loading").map((m) => m.name);
  if (loading.length > 0) return sendJson(res, 503, { status: "loading", loading });
  sendJson(res, 200, { status: "ok" });
};

/** GET /metrics: every ntd_* metric in Prometheus' text format (daemon/metrics/README.md lists them). */
const handleMetrics: HttpRoute = async ({ res, metrics }) => {
  const { contentType, text } = await metrics.scrape();
  res.writeHead(200, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
};

/**
 * Every HTTP route: path → method → handler. A path not here is 404; a method not listed for a
 * path is 405 (with Allow). Paths are also the `route` label of ntd_requests_total, which is why
 * unknown paths never become labels. The POST routes, which generate, have files of their own.
 */
export const httpRoutes: Readonly<Record<string, Readonly<Record<string, HttpRoute>>>> = {
  "/v1/models": { GET: handleListModels },
  "/v1/chat/completions": { POST: handleChatCompletions },
  "/v1/completions": { POST: handleCompletions },
  "/health": { GET: handleHealth },
  "/metrics": { GET: handleMetrics },
};
