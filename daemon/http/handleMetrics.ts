import type { HttpRoute } from "./HttpExchange.js";

/** GET /metrics: every ntd_* metric in Prometheus' text format (daemon/metrics/README.md lists them). */
export const handleMetrics: HttpRoute = async ({ res, metrics }) => {
  const { contentType, text } = await metrics.scrape();
  res.writeHead(200, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
};
