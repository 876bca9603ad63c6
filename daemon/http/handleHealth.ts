import type { HttpRoute } from "./HttpExchange.js";
import { sendJson } from "./sendJson.js";

/**
 * GET /health: 503 while any model is loading (as llama-server answers while it loads), else
 * 200, so a load balancer or a script can wait for a load it started to finish.
 */
export const handleHealth: HttpRoute = async ({ res, registry }) => {
  const loading = registry.list().filter((m) => m.state === "loading").map((m) => m.name);
  if (loading.length > 0) return sendJson(res, 503, { status: "loading", loading });
  sendJson(res, 200, { status: "ok" });
};
