import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import { exitCodeFor } from "../ctl/exitCodeFor.js";
import { dispatchRequest } from "../daemon/dispatchRequest.js";
import { readClientHello } from "../daemon/readClientHello.js";
import { clientFrameSchema } from "../protocol/clientFrames.js";
import { NT_ERROR_CODES } from "../protocol/errorCodes.js";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { serverFrameSchema } from "../protocol/serverFrames.js";
import { VERBS, isVerbName } from "../protocol/verbs.js";
import type { DaemonContext } from "../daemon/DaemonContext.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof NtError ? err.code : `not an NtError: ${String(err)}`;
  }
  return undefined;
}

const parseClientFrame = (value: unknown) => parseMessage(clientFrameSchema, value, "frame");

const noEngine = () => {
  throw new NtError("NT_E_ENGINE_UNAVAILABLE", "no engine in this test");
};

const context: DaemonContext = {
  socketPath: "/nonexistent/ntd.sock",
  startedAtMs: 0,
  loadEngine: noEngine,
  models: new ModelRegistry({ loadEngine: noEngine }),
};

async function dispatchCode(verb: string, params: Record<string, unknown>): Promise<string> {
  try {
    await dispatchRequest({ kind: "request", id: 1, verb, params }, context, new AbortController().signal);
    return "resolved";
  } catch (err) {
    return NtError.from(err).code;
  }
}

describe("client frame validation", () => {
  it("accepts each kind of well-formed client frame", () => {
    for (const frame of [
      { kind: "hello", protocol: 1, client: "x" },
      { kind: "request", id: 0, verb: "ping", params: {} },
      { kind: "request", id: 0xffffffff, verb: "ping", params: {} },
      { kind: "cancel", id: 3 },
    ]) assert.deepEqual(parseClientFrame(frame), frame);
  });

  it("refuses unknown fields at the top of a frame", () => {
    assert.equal(codeOf(() => parseClientFrame({ kind: "cancel", id: 1, extra: true })), "NT_E_BAD_REQUEST");
  });

  it("names the unknown field in the error message", () => {
    assert.throws(() => parseClientFrame({ kind: "cancel", id: 1, extra: true }), /extra/);
  });

  it("refuses an unknown kind, a missing kind, and non-map frames", () => {
    for (const frame of [{ kind: "shout" }, { id: 1 }, 5, "hello", null, [1, 2]]) {
      assert.equal(codeOf(() => parseClientFrame(frame)), "NT_E_BAD_REQUEST", inspect(frame));
    }
  });

  it("refuses wrongly typed fields", () => {
    for (const frame of [
      { kind: "request", id: -1, verb: "ping", params: {} },
      { kind: "request", id: 2 ** 32, verb: "ping", params: {} },
      { kind: "request", id: 1.5, verb: "ping", params: {} },
      { kind: "request", id: "1", verb: "ping", params: {} },
      { kind: "request", id: 1n, verb: "ping", params: {} },
      { kind: "request", id: 1, verb: 7, params: {} },
      { kind: "request", id: 1, verb: "ping", params: [] },
      { kind: "request", id: 1, verb: "ping" },
      { kind: "hello", protocol: "1", client: "x" },
      { kind: "hello", protocol: 1 },
    ]) assert.equal(codeOf(() => parseClientFrame(frame)), "NT_E_BAD_REQUEST", inspect(frame));
  });
});

describe("the first frame", () => {
  const helloCode = (frame: Record<string, unknown>) => codeOf(() => readClientHello(frame));
  const next = PROTOCOL_VERSION + 1;

  it("must be a hello: a request before hello is refused", () => {
    assert.equal(helloCode({ kind: "request", id: 1, verb: "ping", params: {} }), "NT_E_BAD_REQUEST");
  });

  it("refuses another protocol version with NT_E_PROTOCOL_VERSION, even with fields we do not know", () => {
    assert.equal(helloCode({ kind: "hello", protocol: next, client: "x" }), "NT_E_PROTOCOL_VERSION");
    assert.equal(helloCode({ kind: "hello", protocol: next, client: "x", newField: 1 }), "NT_E_PROTOCOL_VERSION");
  });

  it("refuses a hello of our version with an unknown field", () => {
    assert.equal(helloCode({ kind: "hello", protocol: PROTOCOL_VERSION, client: "x", newField: 1 }), "NT_E_BAD_REQUEST");
  });
});

describe("verbs", () => {
  it("recognises only its own verbs, not inherited object keys", () => {
    assert.ok(isVerbName("ping"));
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "Ping"]) {
      assert.ok(!isVerbName(name), name);
    }
  });

  it("answers an unknown verb with NT_E_UNKNOWN_VERB", async () => {
    assert.equal(await dispatchCode("launch", {}), "NT_E_UNKNOWN_VERB");
    assert.equal(await dispatchCode("constructor", {}), "NT_E_UNKNOWN_VERB");
  });

  it("answers unknown params with NT_E_BAD_REQUEST", async () => {
    assert.equal(await dispatchCode("ping", { loud: true }), "NT_E_BAD_REQUEST");
    assert.equal(await dispatchCode("status", { verbose: 1 }), "NT_E_BAD_REQUEST");
  });

  it("returns results that satisfy each verb's result schema (verbs that take no params; the model verbs have their own tests)", async () => {
    for (const verb of Object.keys(VERBS) as (keyof typeof VERBS)[]) {
      if (!VERBS[verb].params.safeParse({}).success) continue;
      const request = { kind: "request" as const, id: 1, verb, params: {} };
      const result = await dispatchRequest(request, context, new AbortController().signal);
      assert.doesNotThrow(() => parseMessage(VERBS[verb].result, result, verb), verb);
    }
  });
});

describe("server frame validation", () => {
  it("accepts an error frame with and without id and refuses unknown fields", () => {
    const error = { code: "NT_E_BUSY", message: "later" };
    assert.ok(serverFrameSchema.safeParse({ kind: "error", error }).success);
    assert.ok(serverFrameSchema.safeParse({ kind: "error", id: 3, error }).success);
    assert.ok(!serverFrameSchema.safeParse({ kind: "error", id: 3, error, extra: 1 }).success);
    assert.ok(!serverFrameSchema.safeParse({ kind: "result", id: 3 }).success);
  });
});

describe("NtError", () => {
  it("keeps a known code carried by a plain Error, as the engine addon rejects", () => {
    const addonError = Object.assign(new Error("bad magic"), { code: "NT_E_BAD_GGUF" });
    assert.equal(NtError.from(addonError).code, "NT_E_BAD_GGUF");
  });

  it("maps Node system errors to NT_E_IO and anything else to NT_E_INTERNAL", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT", syscall: "open" });
    assert.equal(NtError.from(enoent).code, "NT_E_IO");
    assert.equal(NtError.from(Object.assign(new Error("x"), { code: "NT_E_MADE_UP" })).code, "NT_E_INTERNAL");
    assert.equal(NtError.from("a string").code, "NT_E_INTERNAL");
    assert.equal(NtError.from(undefined).code, "NT_E_INTERNAL");
  });

  it("round-trips through its wire form, and an unknown wire code becomes NT_E_INTERNAL", () => {
    const error = new NtError("NT_E_MODEL_NOT_FOUND", "no model llama");
    assert.deepEqual(NtError.fromWire(error.toWire()).toWire(), error.toWire());
    assert.equal(NtError.fromWire({ code: "NT_E_FROM_THE_FUTURE", message: "?" }).code, "NT_E_INTERNAL");
  });
});

describe("ntctl exit codes", () => {
  it("give every error code a non-zero exit status", () => {
    for (const code of NT_ERROR_CODES) assert.ok(exitCodeFor(code) > 0, code);
  });

  it("follow the documented table", () => {
    assert.equal(exitCodeFor("NT_E_INTERNAL"), 1);
    assert.equal(exitCodeFor("NT_E_BAD_REQUEST"), 2);
    assert.equal(exitCodeFor("NT_E_DAEMON_UNREACHABLE"), 3);
    assert.equal(exitCodeFor("NT_E_MODEL_NOT_FOUND"), 4);
    assert.equal(exitCodeFor("NT_E_BUSY"), 5);
    assert.equal(exitCodeFor("NT_E_BAD_GGUF"), 6);
  });
});
