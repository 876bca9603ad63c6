import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI, { AuthenticationError } from "openai";
import { startHttpServer, type HttpServerHandle } from "../daemon/http/startHttpServer.js";
import { DaemonMetrics } from "../daemon/metrics/DaemonMetrics.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { fakeEngine } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";

const KEY = "sk-ntd-test-0123456789";

describe("ntd's HTTP API with an API key", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let registry: ModelRegistry;
  let http: HttpServerHandle;
  let key = KEY;
  const get = (route: string, headers: Record<string, string> = {}) => fetch(`${http.url}${route}`, { headers });

  before(async () => {
    dir = await makeSocketDir();
    registry = new ModelRegistry({ loadEngine: () => fakeEngine({ tokenDelayMs: 1 }) });
    const file = path.join(dir.dir, "story.gguf");
    await writeFile(file, JSON.stringify({ text: "Once upon a time." }));
    await registry.load(file);
    // A function, as ntd passes it: the key in force is read per request (SIGHUP may change it).
    http = await startHttpServer({ registry, listen: "127.0.0.1:0", apiKey: () => key, metrics: new DaemonMetrics({ processMetrics: false }) });
  });

  after(async () => {
    await http.close();
    await registry.close(new NtError("NT_E_CANCELLED", "the test is over"));
    await dir.remove();
  });

  it("answers 401 in OpenAI's error shape without the key, with a wrong key, or another scheme", async () => {
    for (const headers of [{} as Record<string, string>, { Authorization: "Bearer wrong" }, { Authorization: `Basic ${KEY}` },
      { Authorization: `Bearer ${KEY}x` }, { Authorization: `Bearer ${KEY.slice(0, -1)}` }, { Authorization: "Bearer" }]) {
      const response = await get("/v1/models", headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
      const body = await response.json() as { error: { code: string; type: string; message: string } };
      assert.equal(body.error.code, "NT_E_UNAUTHORIZED");
      assert.equal(body.error.type, "invalid_request_error");
      assert.doesNotMatch(body.error.message, new RegExp(KEY), "the key is never echoed");
    }
  });

  it("guards every route but /health, unknown paths and /metrics included", async () => {
    assert.equal((await get("/health")).status, 200);
    assert.equal((await get("/metrics")).status, 401);
    assert.equal((await get("/nowhere")).status, 401, "no route discovery without the key");
    const posted = await fetch(`${http.url}/v1/completions`, { method: "POST", body: "{}" });
    assert.equal(posted.status, 401);
  });

  it("serves a request with the key as a Bearer token (scheme in any case)", async () => {
    assert.equal((await get("/v1/models", { Authorization: `Bearer ${KEY}` })).status, 200);
    assert.equal((await get("/metrics", { Authorization: `bearer ${KEY}` })).status, 200);
  });

  it("works with the official openai client given the key, and fails it with AuthenticationError otherwise", async () => {
    const good = new OpenAI({ baseURL: `${http.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const completion = await good.completions.create({ model: "story", prompt: "Hi", max_tokens: 4 });
    assert.equal(completion.choices[0]?.text, "Once");
    const bad = new OpenAI({ baseURL: `${http.url}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    await assert.rejects(bad.models.list(), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.equal(err.status, 401);
      assert.equal(err.code, "NT_E_UNAUTHORIZED");
      return true;
    });
  });

  it("follows a key changed while running, and needs none once it is empty", async () => {
    key = "sk-rotated";
    try {
      assert.equal((await get("/v1/models", { Authorization: `Bearer ${KEY}` })).status, 401);
      assert.equal((await get("/v1/models", { Authorization: "Bearer sk-rotated" })).status, 200);
      key = "";
      assert.equal((await get("/v1/models")).status, 200);
    } finally {
      key = KEY;
    }
  });
});
