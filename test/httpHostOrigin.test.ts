import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import http, { type IncomingHttpHeaders } from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { isAllowedHost } from "../daemon/http/requestChecks.js";
import { startHttpServer, type HttpServerHandle } from "../daemon/http/startHttpServer.js";
import { DaemonMetrics } from "../daemon/metrics/DaemonMetrics.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { fakeEngine } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const COMPLETION = JSON.stringify({ model: "story", prompt: "Hi", max_tokens: 2 });

describe("ntd's HTTP API refuses web pages (Host, Origin, Content-Type)", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let registry: ModelRegistry;
  let server: HttpServerHandle;
  let port: number;
  let allowedHosts: string[] = ["ntd.lan", "proxy.lan:8080"];
  let allowedOrigins: string[] = ["http://localhost:3000"];

  /**
   * One request with the headers given as they are: node's fetch sets Host itself, node:http
   * sends the one it is given. Host defaults to 127.0.0.1:PORT, as clients send it.
   */
  const send = (method: string, route: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method, path: route, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.on("error", reject);
      req.end(body);
    });
  const postJson = (headers: Record<string, string> = {}) =>
    send("POST", "/v1/completions", { "Content-Type": "application/json", ...headers }, COMPLETION);

  /** Asserts an answer is `status` in OpenAI's error shape with our `code`. */
  function assertError(answer: Answer, status: number, code: string, what: string): void {
    assert.equal(answer.status, status, `${what}: ${answer.body}`);
    const body = JSON.parse(answer.body) as { error: { message: string; type: string; code: string } };
    assert.equal(body.error.code, code, what);
    assert.equal(body.error.type, "invalid_request_error", what);
    assert.ok(body.error.message.length > 0, what);
  }

  before(async () => {
    dir = await makeSocketDir();
    registry = new ModelRegistry({ loadEngine: () => fakeEngine({ tokenDelayMs: 1 }) });
    const file = path.join(dir.dir, "story.gguf");
    await writeFile(file, JSON.stringify({ text: "Once upon a time." }));
    await registry.load(file);
    // Functions, as ntd passes them: the lists in force are read per request (SIGHUP may change them).
    server = await startHttpServer({
      registry, listen: "127.0.0.1:0", metrics: new DaemonMetrics({ processMetrics: false }),
      allowedHosts: () => allowedHosts, allowedOrigins: () => allowedOrigins,
    });
    port = server.address.port;
  });

  after(async () => {
    await server.close();
    await registry.close(new NtError("NT_E_CANCELLED", "the test is over"));
    await dir.remove();
  });

  it("answers 403 NT_E_FORBIDDEN to a foreign Host (DNS rebinding) on every route, /health included", async () => {
    for (const host of [`evil.example:${port}`, "evil.example", `ntd.lan.evil.example:${port}`, `127.0.0.1.evil.example:${port}`,
      `localhost:${port + 1}`, `0.0.0.0:${port}`, `[::2]:${port}`, "localhost:x"]) {
      for (const route of ["/v1/models", "/metrics", "/health", "/nowhere"]) {
        assertError(await send("GET", route, { Host: host }), 403, "NT_E_FORBIDDEN", `GET ${route} for ${host}`);
      }
      assertError(await postJson({ Host: host }), 403, "NT_E_FORBIDDEN", `POST for ${host}`);
    }
  });

  it("answers loopback names and addresses, with the listening port or without one", async () => {
    for (const host of ["localhost", `localhost:${port}`, "LOCALHOST", "127.0.0.1", `127.0.0.1:${port}`, `127.1.2.3:${port}`,
      "[::1]", `[::1]:${port}`, `[0:0:0:0:0:0:0:1]:${port}`, `[::ffff:127.0.0.1]:${port}`]) {
      assert.equal((await send("GET", "/v1/models", { Host: host })).status, 200, host);
      assert.equal((await send("GET", "/health", { Host: host })).status, 200, host);
    }
  });

  it("answers configured hosts: a bare name on any port, a name with a port on that port only", async () => {
    assert.equal((await send("GET", "/v1/models", { Host: `ntd.lan:${port}` })).status, 200);
    assert.equal((await send("GET", "/v1/models", { Host: "NTD.LAN" })).status, 200);
    assert.equal((await send("GET", "/v1/models", { Host: "ntd.lan:443" })).status, 200);
    assert.equal((await send("GET", "/v1/models", { Host: "proxy.lan:8080" })).status, 200);
    assertError(await send("GET", "/v1/models", { Host: "proxy.lan:8081" }), 403, "NT_E_FORBIDDEN", "proxy.lan on another port");
  });

  it("follows the allowed hosts in force at each request", async () => {
    const before = allowedHosts;
    try {
      allowedHosts = [];
      assertError(await send("GET", "/v1/models", { Host: `ntd.lan:${port}` }), 403, "NT_E_FORBIDDEN", "after removal");
      allowedHosts = ["other.lan"];
      assert.equal((await send("GET", "/v1/models", { Host: `other.lan:${port}` })).status, 200);
    } finally {
      allowedHosts = before;
    }
  });

  it("answers 403 to a foreign Origin, GET or POST, without CORS headers", async () => {
    for (const origin of ["http://evil.example", `http://evil.example:${port}`, "null", "https://localhost:3000",
      "http://localhost:3001", `https://127.0.0.1:${port}`, "http://localhost", "not a url"]) {
      const got = await send("GET", "/v1/models", { Origin: origin });
      assertError(got, 403, "NT_E_FORBIDDEN", `GET from ${origin}`);
      assert.equal(got.headers["access-control-allow-origin"], undefined);
      assertError(await postJson({ Origin: origin }), 403, "NT_E_FORBIDDEN", `POST from ${origin}`);
      assertError(await send("GET", "/health", { Origin: origin }), 403, "NT_E_FORBIDDEN", `/health from ${origin}`);
    }
  });

  it("refuses a cross-origin text/plain POST, the kind browsers send without asking, even before the check of Content-Type", async () => {
    const answer = await send("POST", "/v1/completions", { Origin: "http://evil.example", "Content-Type": "text/plain;charset=UTF-8" }, COMPLETION);
    assertError(answer, 403, "NT_E_FORBIDDEN", "text/plain from a page");
  });

  it("serves the server's own origin, which needs no CORS headers", async () => {
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`, `http://ntd.lan:${port}`]) {
      const answer = await send("GET", "/v1/models", { Origin: origin });
      assert.equal(answer.status, 200, origin);
      assert.equal(answer.headers["access-control-allow-origin"], undefined, origin);
      assert.equal((await postJson({ Origin: origin })).status, 200, origin);
    }
  });

  it("serves a configured origin with CORS headers, and answers its preflight", async () => {
    const origin = "http://localhost:3000";
    const answer = await postJson({ Origin: origin });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers["access-control-allow-origin"], origin);
    assert.match(answer.headers.vary ?? "", /Origin/);
    const preflight = await send("OPTIONS", "/v1/completions", {
      Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type",
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], origin);
    assert.equal(preflight.headers["access-control-allow-methods"], "POST");
    assert.equal(preflight.headers["access-control-allow-headers"], "authorization, content-type");
    const foreign = await send("OPTIONS", "/v1/completions", { Origin: "http://evil.example", "Access-Control-Request-Method": "POST" });
    assertError(foreign, 403, "NT_E_FORBIDDEN", "a foreign preflight");
    assert.equal(foreign.headers["access-control-allow-origin"], undefined);
  });

  it("follows the allowed origins in force at each request", async () => {
    const before = allowedOrigins;
    try {
      allowedOrigins = [];
      assertError(await postJson({ Origin: "http://localhost:3000" }), 403, "NT_E_FORBIDDEN", "after removal");
    } finally {
      allowedOrigins = before;
    }
  });

  it("answers 415 to a POST body that is not declared application/json, in OpenAI's error shape", async () => {
    for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
      "application/jsonp", "application/json; charset=latin1"]) {
      assertError(await send("POST", "/v1/completions", { "Content-Type": type }, COMPLETION), 415, "NT_E_BAD_REQUEST", type);
    }
    assertError(await send("POST", "/v1/chat/completions", {}, COMPLETION), 415, "NT_E_BAD_REQUEST", "no Content-Type");
  });

  it("accepts application/json with or without a UTF-8 charset, in any case", async () => {
    for (const type of ["application/json", "application/json; charset=utf-8", "Application/JSON;Charset=\"UTF-8\""]) {
      assert.equal((await send("POST", "/v1/completions", { "Content-Type": type }, COMPLETION)).status, 200, type);
    }
  });

  it("still works with the official openai client", async () => {
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-checked", maxRetries: 0 });
    const completion = await openai.completions.create({ model: "story", prompt: "Hi", max_tokens: 4 });
    assert.equal(completion.choices[0]?.text, "Once");
    const ids = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    assert.deepEqual(ids, ["story"]);
  });
});

describe("isAllowedHost", () => {
  it("admits the listen address's host on its port, unless it is a wildcard", () => {
    const listen = { host: "192.0.2.10", port: 11435 };
    assert.equal(isAllowedHost("192.0.2.10:11435", listen, []), true);
    assert.equal(isAllowedHost("192.0.2.10", listen, []), true);
    assert.equal(isAllowedHost("192.0.2.10:11436", listen, []), false);
    assert.equal(isAllowedHost("192.0.2.11:11435", listen, []), false);
    assert.equal(isAllowedHost("[2001:db8::1]:11435", { host: "2001:db8::1", port: 11435 }, []), true);
    assert.equal(isAllowedHost("0.0.0.0:11435", { host: "0.0.0.0", port: 11435 }, []), false);
    assert.equal(isAllowedHost("[::]:11435", { host: "::", port: 11435 }, []), false);
  });
});
