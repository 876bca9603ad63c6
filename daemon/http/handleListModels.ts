import type { HttpRoute } from "./HttpExchange.js";
import { sendJson } from "./sendJson.js";

/**
 * GET /v1/models: the loaded models, in OpenAI's list shape; `id` is the name requests use.
 * Models still loading are left out, since requests for them would wait. `created` is 0: ntd does
 * not know when a file was made, and OpenAI clients only need a number.
 */
export const handleListModels: HttpRoute = async ({ res, registry }) => {
  const data = registry.list().filter((m) => m.state === "loaded")
    .map((m) => ({ id: m.name, object: "model", created: 0, owned_by: "ntd" }));
  sendJson(res, 200, { object: "list", data });
};
