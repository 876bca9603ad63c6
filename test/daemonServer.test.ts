import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Packr, Unpackr } from "msgpackr";
import { NtClient } from "../ctl/NtClient.js";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { NtError } from "../protocol/NtError.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { fakeEngine } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { RawConnection } from "./support/RawConnection.js";
import { rejectionCode } from "./support/rejectionCode.js";
import { startTestDaemon, type TestDaemon } from "./support/startTestDaemon.js";

const noEngine = () => {
  throw new NtError("NT_E_ENGINE_UNAVAILABLE", "no engine in this test");
};


/** Asserts the server sent one id-less error frame with `code` and then closed the connection. */
async function assertDropped(raw: RawConnection, code: string): Promise<void> {
  const frame = await raw.next() as { kind: string; id?: number; error: { code: string } };
  assert.equal(frame.kind, "error");
  assert.equal(frame.id, undefined);
  assert.equal(frame.error.code, code);
  await raw.closed;
}

/** A 4-byte big-endian length header followed by `body`, built by hand (not by encodeFrame). */
function handFrame(body: Buffer, declaredLength = body.length): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(declaredLength, 0);
  return Buffer.concat([header, body]);
}

describe("DaemonServer without an engine", () => {
  let daemon: TestDaemon;
  let dir: TestDaemon["dir"];
  let client: NtClient;

  before(async () => {
    daemon = await startTestDaemon({ loadEngine: noEngine });
    ({ dir, client } = daemon);
  });

  after(() => daemon.stop());

  it("answers ping with pong and the daemon's clock", async () => {
    const before = Date.now();
    const result = await client.request("ping", {});
    assert.equal(result.pong, true);
    assert.ok(result.time >= before && result.time <= Date.now());
  });

  it("answers the hello with our protocol version and the daemon's pid", () => {
    assert.equal(client.server.protocol, PROTOCOL_VERSION);
    assert.equal(client.server.pid, process.pid);
  });

  it("answers version with a null engine when the addon cannot load", async () => {
    const result = await client.request("version", {});
    assert.equal(result.protocol, PROTOCOL_VERSION);
    assert.equal(result.node, process.version);
    assert.equal(result.engine, null);
  });

  it("answers status with the engine's error code when the addon cannot load", async () => {
    const result = await client.request("status", {});
    assert.equal(result.state, "ready");
    assert.equal(result.socket, dir.socketPath);
    assert.deepEqual(result.models, []);
    assert.ok("error" in result.engine);
    assert.equal(result.engine.error.code, "NT_E_ENGINE_UNAVAILABLE");
  });

  it("creates the socket with mode 0660", async () => {
    assert.equal((await stat(dir.socketPath)).mode & 0o777, 0o660);
  });

  it("serves many concurrent requests on one connection, each answer matched by id", async () => {
    const verbs = Array.from({ length: 60 }, (_, i) => (["ping", "version", "status"] as const)[i % 3]!);
    const results = await Promise.all(verbs.map((verb) => client.request(verb, {})));
    results.forEach((result, i) => {
      const expectedKey = { ping: "pong", version: "daemon", status: "state" }[verbs[i]!];
      assert.ok(expectedKey in result, `answer ${i} belongs to ${verbs[i]}`);
    });
  });

  it("speaks the documented wire layout: a hand-packed hello gets a hand-decodable answer", async () => {
    const body = new Packr({ useRecords: false }).pack({ kind: "hello", protocol: PROTOCOL_VERSION, client: "by hand" });
    const socket = net.createConnection(dir.socketPath);
    socket.write(handFrame(body));
    let received = Buffer.alloc(0);
    while (received.length < 4 || received.length < 4 + received.readUInt32BE(0)) {
      const [chunk] = await once(socket, "data") as [Buffer];
      received = Buffer.concat([received, chunk]);
    }
    socket.destroy();
    const length = received.readUInt32BE(0);
    assert.equal(received.length, 4 + length);
    const hello = new Unpackr({ useRecords: false }).unpack(received.subarray(4)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(hello).sort(), ["kind", "pid", "protocol", "server"]);
    assert.equal(hello.kind, "hello");
    assert.equal(hello.protocol, PROTOCOL_VERSION);
  });

  it("answers an unknown verb with NT_E_UNKNOWN_VERB for that id and keeps the connection", async () => {
    const raw = await RawConnection.open(dir.socketPath);
    await raw.greet();
    raw.send({ kind: "request", id: 9, verb: "launchRockets", params: {} });
    const answer = await raw.next() as { kind: string; id: number; error: { code: string } };
    assert.deepEqual([answer.kind, answer.id, answer.error.code], ["error", 9, "NT_E_UNKNOWN_VERB"]);
    raw.send({ kind: "request", id: 10, verb: "ping", params: {} });
    assert.equal((await raw.next() as { kind: string }).kind, "result");
    raw.destroy();
  });

  it("answers unknown params with NT_E_BAD_REQUEST for that id and keeps the connection", async () => {
    const raw = await RawConnection.open(dir.socketPath);
    await raw.greet();
    raw.send({ kind: "request", id: 1, verb: "status", params: { verbose: true } });
    const answer = await raw.next() as { id: number; error: { code: string; message: string } };
    assert.equal(answer.id, 1);
    assert.equal(answer.error.code, "NT_E_BAD_REQUEST");
    raw.send({ kind: "request", id: 2, verb: "ping", params: {} });
    assert.equal((await raw.next() as { kind: string }).kind, "result");
    raw.destroy();
  });

  it("answers a cancel for an id not in flight with NT_E_NOT_FOUND", async () => {
    const raw = await RawConnection.open(dir.socketPath);
    await raw.greet();
    raw.send({ kind: "cancel", id: 77 });
    const answer = await raw.next() as { id: number; error: { code: string } };
    assert.equal(answer.id, 77);
    assert.equal(answer.error.code, "NT_E_NOT_FOUND");
    raw.destroy();
  });

  const request = (id: number) => ({ kind: "request", id, verb: "status", params: {} });
  // [what the client sends, whether it says hello first, the code it is dropped with, the bytes]
  const hostile: [string, boolean, string, () => Buffer][] = [
    ["a zero-length frame", true, "NT_E_BAD_FRAME", () => handFrame(Buffer.alloc(0))],
    ["a length above the cap", true, "NT_E_FRAME_TOO_LARGE", () => handFrame(Buffer.alloc(0), 0x7fffffff)],
    ["an HTTP request", false, "NT_E_FRAME_TOO_LARGE", () => Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    ["a body that is not msgpack", true, "NT_E_BAD_FRAME", () => handFrame(Buffer.from([0x92, 0x01]))],
    ["a request before hello", false, "NT_E_BAD_REQUEST", () => message(request(1))],
    ["a hello of another protocol version", false, "NT_E_PROTOCOL_VERSION",
      () => message({ kind: "hello", protocol: PROTOCOL_VERSION + 1, client: "future" })],
    ["a frame with an unknown field", true, "NT_E_BAD_REQUEST", () => message({ kind: "cancel", id: 1, please: 1 })],
    ["a frame of unknown kind", true, "NT_E_BAD_REQUEST", () => message({ kind: "shout", id: 1 })],
    ["a request with a non-uint32 id", true, "NT_E_BAD_REQUEST", () => message(request(-4))],
    ["a second hello", true, "NT_E_BAD_REQUEST",
      () => message({ kind: "hello", protocol: PROTOCOL_VERSION, client: "again" })],
    ["two requests in flight with the same id", true, "NT_E_BAD_REQUEST",
      () => Buffer.concat([message(request(5)), message(request(5))])],
  ];
  for (const [name, greet, code, bytes] of hostile) {
    it(`drops a client that sends ${name} with ${code}, while another client keeps working`, async () => {
      const raw = await RawConnection.open(dir.socketPath);
      if (greet) await raw.greet();
      raw.write(bytes());
      await assertDropped(raw, code);
      assert.equal((await client.request("ping", {})).pong, true);
    });
  }

  it("shrugs off a client that disconnects in the middle of a frame", async () => {
    const raw = await RawConnection.open(dir.socketPath);
    raw.write(message({ kind: "hello", protocol: PROTOCOL_VERSION, client: "quitter" }).subarray(0, 7));
    raw.destroy();
    await raw.closed;
    assert.equal((await client.request("ping", {})).pong, true);
  });
});

describe("DaemonServer with an engine", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let server: DaemonServer;

  before(async () => {
    dir = await makeSocketDir();
    server = new DaemonServer({ socketPath: dir.socketPath, loadEngine: fakeEngine });
    await server.start();
  });

  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it("reports the engine's build and devices in status, with only the protocol's fields", async () => {
    const client = await NtClient.connect({ socketPath: dir.socketPath });
    const status = await client.request("status", {});
    client.close();
    assert.ok(!("error" in status.engine));
    assert.equal(status.engine.build.version, "9.9.9");
    assert.equal(status.engine.cuda.available, true);
    assert.deepEqual(status.engine.devices.map((d) => `${d.backend}:${d.index}`), ["cpu:0", "cuda:0"]);
    assert.ok(!("extraField" in status.engine.devices[1]!));
  });

  it("reports the engine's build in version", async () => {
    const client = await NtClient.connect({ socketPath: dir.socketPath });
    const version = await client.request("version", {});
    client.close();
    assert.equal(version.engine?.cudaArchitectures, "80;90");
  });
});

describe("DaemonServer start and stop", () => {
  it("creates a missing socket folder, and on stop removes the socket and drops connected clients", async () => {
    const dir = await makeSocketDir();
    const socketPath = path.join(dir.dir, "run", "ntd", "ntd.sock");
    const server = new DaemonServer({ socketPath, loadEngine: noEngine });
    await server.start();
    const client = await NtClient.connect({ socketPath });
    await server.stop();
    assert.equal(await rejectionCode(client.request("ping", {})), "NT_E_DAEMON_UNREACHABLE");
    await assert.rejects(stat(socketPath), { code: "ENOENT" });
    await dir.remove();
  });

  it("refuses to start on a socket where a live daemon answers, with NT_E_BUSY", async () => {
    const dir = await makeSocketDir();
    const first = new DaemonServer({ socketPath: dir.socketPath, loadEngine: noEngine });
    await first.start();
    const second = new DaemonServer({ socketPath: dir.socketPath, loadEngine: noEngine });
    assert.equal(await rejectionCode(second.start()), "NT_E_BUSY");
    const client = await NtClient.connect({ socketPath: dir.socketPath });
    assert.equal((await client.request("ping", {})).pong, true, "the first daemon still answers");
    client.close();
    await second.stop();
    await first.stop();
    await dir.remove();
  });

  it("replaces a stale socket left by a daemon that was killed", async () => {
    const dir = await makeSocketDir();
    const killed = spawn(process.execPath, ["-e",
      `require("net").createServer().listen(${JSON.stringify(dir.socketPath)}, () => process.kill(process.pid, "SIGKILL"))`]);
    await once(killed, "exit");
    assert.ok((await stat(dir.socketPath)).isSocket(), "the killed process left its socket behind");
    const server = new DaemonServer({ socketPath: dir.socketPath, loadEngine: noEngine });
    await server.start();
    const client = await NtClient.connect({ socketPath: dir.socketPath });
    assert.equal((await client.request("ping", {})).pong, true);
    client.close();
    await server.stop();
    await dir.remove();
  });

  it("refuses to replace a path that is not a socket, with NT_E_IO", async () => {
    const dir = await makeSocketDir();
    await mkdir(dir.dir, { recursive: true });
    await writeFile(dir.socketPath, "precious data");
    const server = new DaemonServer({ socketPath: dir.socketPath, loadEngine: noEngine });
    assert.equal(await rejectionCode(server.start()), "NT_E_IO");
    assert.ok((await stat(dir.socketPath)).isFile());
    await dir.remove();
  });
});

describe("NtClient", () => {
  it("fails with NT_E_DAEMON_UNREACHABLE when no socket exists", async () => {
    const dir = await makeSocketDir();
    assert.equal(await rejectionCode(NtClient.connect({ socketPath: dir.socketPath })), "NT_E_DAEMON_UNREACHABLE");
    await dir.remove();
  });

  it("fails with NT_E_DAEMON_UNREACHABLE when the peer accepts but never says hello", async () => {
    const dir = await makeSocketDir();
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(dir.socketPath, resolve));
    assert.equal(await rejectionCode(NtClient.connect({ socketPath: dir.socketPath, timeoutMs: 200 })), "NT_E_DAEMON_UNREACHABLE");
    silent.close();
    silent.unref();
    await dir.remove();
  });

  it("fails with NT_E_PROTOCOL_VERSION when the server refuses its hello", async () => {
    const dir = await makeSocketDir();
    const refuser = net.createServer((socket) => {
      socket.end(message({ kind: "error", error: { code: "NT_E_PROTOCOL_VERSION", message: "speaks 2" } }));
    });
    await new Promise<void>((resolve) => refuser.listen(dir.socketPath, resolve));
    assert.equal(await rejectionCode(NtClient.connect({ socketPath: dir.socketPath })), "NT_E_PROTOCOL_VERSION");
    refuser.close();
    await dir.remove();
  });
});

/** One message framed with a hand-built header and a plain msgpack body. */
function message(value: unknown): Buffer {
  return handFrame(new Packr({ useRecords: false }).pack(value));
}
