import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Answers a CORS preflight (OPTIONS from an origin in httpAllowedOrigins; the caller has set
 * Access-Control-Allow-Origin): 204 with the route's methods and the headers the page asked to
 * send, cached for 10 minutes. Browsers ask before a cross-origin POST with a JSON body or an
 * Authorization header, and never send credentials with the question, so this is answered before
 * the API key is checked; the request that follows still needs the key.
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): void {
  const askedHeaders = req.headers["access-control-request-headers"];
  res.writeHead(204, {
    "Access-Control-Allow-Methods": methods.join(", "),
    ...(askedHeaders === undefined ? {} : { "Access-Control-Allow-Headers": askedHeaders }),
    "Access-Control-Max-Age": "600",
  });
  res.end();
}
