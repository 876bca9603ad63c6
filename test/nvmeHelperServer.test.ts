import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, openSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, it } from "node:test";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import { loadHelperConfig } from "../nvme-helper/config/loadHelperConfig.js";
import { HelperServer } from "../nvme-helper/HelperServer.js";
import { loadPeerCredentialsAddon, peerCredentials } from "../nvme-helper/peer/peerCredentials.js";
import { NtError } from "../protocol/NtError.js";
import { decodeHelperPacket, encodeHelperPacket } from "../protocol/helper/helperPackets.js";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";
import { skipWithoutLoopDevices } from "./support/skipWithoutLoopDevices.js";
import { RawHelperConnection } from "./support/RawHelperConnection.js";

const addonPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../protocol/helper/seqpacket/native/build/Release/nt_seqpacket.node");
/** How many fds this process has open (client and helper share it here: a leaked fd shows). */
const openFds = () => readdirSync("/proc/self/fd").length;

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

let fixture: HelperFixture;
let server: HelperServer | undefined;
let logLines: string[];

/** Serves the fixture's machine on a socket any local user can reach, authenticated by real SO_PEERCRED. */
async function startHelper(allowedUids: number[] = []): Promise<string> {
  loadPeerCredentialsAddon();
  fixture.config.allowedUids = allowedUids;
  chmodSync(fixture.dir, 0o755);
  const socketPath = path.join(fixture.dir, "helper.sock");
  logLines = [];
  server = new HelperServer({ config: fixture.config, monitor: fixture.monitor(), credentialsOf: peerCredentials, log: (line) => logLines.push(line) });
  await server.listen({ path: socketPath, mode: 0o777 });
  return socketPath;
}

/** Sends one status request as `uid` from a child process (the addon, no HelperClient) and returns the first message it got back. */
function statusAs(uid: number, socketPath: string): Promise<unknown> {
  const request = encodeHelperPacket({ kind: "request", id: 1, verb: "status", params: {} }).toString("hex");
  const script = `const a=require(${JSON.stringify(addonPath)});const fd=a.connect(${JSON.stringify(socketPath)});` +
    `a.send(fd,Buffer.from("${request}","hex"),[]);const end=Date.now()+3000;` +
    `(function poll(){let p;try{p=a.recv(fd,4)}catch{return}if(p===undefined){if(Date.now()<end)setTimeout(poll,10);return}` +
    `if(p)process.stdout.write(p.data.toString("hex"))})();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { uid, gid: uid, cwd: "/" });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => { out += chunk.toString(); });
    child.on("error", reject);
    child.on("close", () => resolve(out === "" ? undefined : decodeHelperPacket(Buffer.from(out, "hex"))));
  });
}

/**
 * {kind: "request", id: 1, verb: "restore", params: {device: <ext 0>}}, written by hand: no plain
 * encoder writes an extension, and msgpackr would decode this one to `undefined` — a restore of
 * every device.
 */
function restoreWithExtZeroDevice(): Buffer {
  const head = encodeHelperPacket({ kind: "request", id: 1, verb: "restore" });
  assert.equal(head[0], 0x83, "a fixmap of 3");
  const str = (text: string) => Buffer.concat([Buffer.from([0xa0 | text.length]), Buffer.from(text)]);
  return Buffer.concat([Buffer.from([0x84]), head.subarray(1), str("params"), Buffer.from([0x81]), str("device"), Buffer.from([0xd4, 0x00, 0x00])]);
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  fixture.remove();
});

describe("nt-nvme-helper server", () => {
  it("serves status, bind and restore to an allowed peer through HelperClient, one log line each",
    { skip: skipWithoutLoopDevices("bind claims the namespace's block device, a loop device in these tests") }, async () => {
    fixture = makeHelperFixture();
    const client = await HelperClient.connect(await startHelper());
    try {
      assert.equal((await client.request("status", {})).devices[0]?.driver, "nvme");
      assert.equal((await client.request("bind", { device: TEST_BDF })).device.driver, "vfio-pci");
      assert.equal((await client.request("restore", {})).devices[0]?.driver, "nvme");
      await assert.rejects(client.request("bind", { device: "0000:05:00.0" }), { code: "NT_E_DEVICE_NOT_ALLOWED" });
      await assert.rejects(client.request("place", { device: TEST_BDF, name: "m" }), { code: "NT_E_BAD_FD" }, "place without an fd");
    } finally {
      client.close();
    }
    assert.equal(logLines.length, 5);
    assert.match(logLines[1] ?? "", new RegExp(`^action uid=0 pid=${process.pid} verb=bind device=${TEST_BDF} serial=S1 outcome=ok$`));
    assert.match(logLines[3] ?? "", /outcome=NT_E_DEVICE_NOT_ALLOWED/);
  });

  it("refuses a peer uid not in the configuration with NT_E_PEER_NOT_ALLOWED (real SO_PEERCRED)", { skip: !isRoot && "needs root to connect as another uid" }, async () => {
    fixture = makeHelperFixture();
    const socketPath = await startHelper([]);
    assert.deepEqual(await statusAs(NOBODY, socketPath), { kind: "error", error: {
      code: "NT_E_PEER_NOT_ALLOWED", message: `uid ${NOBODY} / gid ${NOBODY} is not allowed to use nt-nvme-helper (allowedUids/allowedGids in its configuration)` } });
    assert.match(logLines.join("\n"), new RegExp(`refused connection uid=${NOBODY} gid=${NOBODY} pid=\\d+ outcome=NT_E_PEER_NOT_ALLOWED`));
    assert.deepEqual(fixture.kernel.writes, []);
  });

  it("serves a peer uid listed in allowedUids", { skip: !isRoot && "needs root to connect as another uid" }, async () => {
    fixture = makeHelperFixture();
    const answer = await statusAs(NOBODY, await startHelper([NOBODY])) as { kind: string };
    assert.equal(answer.kind, "result");
  });

  const request = (message: Record<string, unknown>) => encodeHelperPacket({ kind: "request", id: 1, ...message });
  const hostile: Array<[string, Buffer, string]> = [
    ["an oversized packet (MSG_TRUNC)", Buffer.alloc(100 * 1024, 0x91), "NT_E_FRAME_TOO_LARGE"],
    ["a packet that is truncated msgpack", Buffer.from([0x92]), "NT_E_BAD_FRAME"],
    ["a packet with bytes after its msgpack value", Buffer.concat([request({ verb: "status", params: {} }), Buffer.from([0])]), "NT_E_BAD_FRAME"],
    ["garbage (a byte msgpack never uses)", Buffer.from([0xc1, 0xc1, 0xc1]), "NT_E_BAD_FRAME"],
    ["a lone 0xc1 (msgpackr decodes it to an object)", Buffer.from([0xc1]), "NT_E_BAD_FRAME"],
    ["a msgpack extension (a timestamp msgpackr decodes to a Date)", Buffer.from([0xd6, 0xff, 0, 0, 0, 1]), "NT_E_BAD_FRAME"],
    ["a restore whose device is ext 0 (msgpackr: undefined, which the optional field accepts)", restoreWithExtZeroDevice(), "NT_E_BAD_FRAME"],
    ["a message that is not a map", encodeHelperPacket([1, 2, 3]), "NT_E_BAD_REQUEST"],
    ["an unknown verb", request({ verb: "write-sysfs", params: {} }), "NT_E_UNKNOWN_VERB"],
    ["an inherited property as verb", request({ verb: "constructor", params: {} }), "NT_E_UNKNOWN_VERB"],
    ["an unknown field", request({ verb: "status", params: {}, sudo: true }), "NT_E_BAD_REQUEST"],
    ["an unknown param", request({ verb: "bind", params: { device: TEST_BDF, path: "/dev/sda" } }), "NT_E_BAD_REQUEST"],
    ["a path trick as device", request({ verb: "bind", params: { device: "../../../../etc" } }), "NT_E_BAD_REQUEST"],
    ["a path trick as place name", request({ verb: "place", params: { device: TEST_BDF, name: "../../etc/passwd" } }), "NT_E_BAD_REQUEST"],
    ["\"..\" as place name", request({ verb: "place", params: { device: TEST_BDF, name: ".." } }), "NT_E_BAD_REQUEST"],
    ["\".\" as place name", request({ verb: "place", params: { device: TEST_BDF, name: "." } }), "NT_E_BAD_REQUEST"],
    ["an option-like place name", request({ verb: "place", params: { device: TEST_BDF, name: "-rf" } }), "NT_E_BAD_REQUEST"],
    ["a path as place param", request({ verb: "place", params: { device: TEST_BDF, name: "m", path: "/root/m.gguf" } }), "NT_E_BAD_REQUEST"],
    ["an ntd hello", encodeHelperPacket({ kind: "hello", protocol: 1, client: "x" }), "NT_E_BAD_REQUEST"],
  ];
  for (const [what, bytes, code] of hostile) {
    it(`drops only the connection that sent ${what} (${code})`, async () => {
      fixture = makeHelperFixture();
      const socketPath = await startHelper();
      const bystander = await HelperClient.connect(socketPath);
      const attacker = RawHelperConnection.open(socketPath);
      attacker.write(bytes);
      const { message } = await attacker.next();
      const answer = message as { kind: string; id?: number; error: { code: string } };
      assert.equal(answer.kind, "error");
      assert.equal(answer.id, undefined);
      assert.equal(answer.error.code, code);
      await attacker.closed;
      assert.equal((await bystander.request("status", {})).devices.length, 1, "other connections and the helper live on");
      bystander.close();
      assert.deepEqual(fixture.kernel.writes, []);
      assert.match(logLines.join("\n"), new RegExp(`dropped connection uid=0 pid=${process.pid}: ${code}`));
    });
  }

  const withFds: Array<[string, Record<string, unknown>, number, string]> = [
    ["an fd with a verb that takes none", { verb: "status", params: {} }, 1, "NT_E_BAD_REQUEST"],
    ["two fds with place", { verb: "place", params: { device: TEST_BDF, name: "m" } }, 2, "NT_E_BAD_FRAME"],
    ["an fd with an unknown verb", { verb: "read-file", params: {} }, 1, "NT_E_UNKNOWN_VERB"],
  ];
  for (const [what, message, count, code] of withFds) {
    it(`drops a connection that sends ${what} (${code}) and closes every fd it passed`, async () => {
      fixture = makeHelperFixture();
      const socketPath = await startHelper();
      const attacker = RawHelperConnection.open(socketPath);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const before = openFds();
      attacker.send({ kind: "request", id: 1, ...message }, Array.from({ length: count }, () => openSync(fixture.journalFile, "a")));
      const { message: answer } = await attacker.next();
      assert.equal((answer as { error: { code: string } }).error.code, code);
      await attacker.closed;
      assert.equal(openFds(), before - 2, "the helper kept none of the passed fds (and both ends of the connection are gone)");
    });
  }

  it("drops a connection that pipelines a second request before the first is answered", async () => {
    fixture = makeHelperFixture();
    const attacker = RawHelperConnection.open(await startHelper());
    const status = request({ verb: "status", params: {} });
    attacker.write(status);
    attacker.write(status);
    const first = await attacker.next();
    const second = await attacker.next().catch(() => undefined);
    assert.ok([first, second].some((frame) => (frame?.message as { error?: { code: string } } | undefined)?.error?.code === "NT_E_BUSY"));
    await attacker.closed;
  });

  it("leaves nothing behind from a client that hangs up mid-request: the helper serves the next one", async () => {
    fixture = makeHelperFixture();
    const socketPath = await startHelper();
    const attacker = RawHelperConnection.open(socketPath);
    attacker.write(request({ verb: "status", params: {} }).subarray(0, 7));
    attacker.destroy();
    const client = await HelperClient.connect(socketPath);
    assert.equal((await client.request("status", {})).devices.length, 1);
    client.close();
  });
});

describe("nt-nvme-helper configuration", () => {
  function writeConfig(mode = 0o644, dirMode = 0o755): string {
    const dir = path.join(fixture.dir, "etc");
    mkdirSync(dir, { recursive: true, mode: dirMode });
    chmodSync(dir, dirMode);
    const file = path.join(dir, "helper.json");
    writeFileSync(file, JSON.stringify({ allowedUids: [1000], devices: fixture.config.devices }), { mode });
    chmodSync(file, mode);
    return file;
  }
  const codeOf = (file: string) => {
    try {
      loadHelperConfig(file);
      return "loaded";
    } catch (err) {
      return err instanceof NtError ? err.code : String(err);
    }
  };

  it("loads a root-owned config that only root can write", () => {
    fixture = makeHelperFixture();
    assert.deepEqual(loadHelperConfig(writeConfig()).allowedUids, [1000]);
  });

  it("refuses a config file or folder writable by group or others", () => {
    fixture = makeHelperFixture();
    assert.equal(codeOf(writeConfig(0o666)), "NT_E_BAD_REQUEST");
    assert.equal(codeOf(writeConfig(0o644, 0o777)), "NT_E_BAD_REQUEST");
  });

  it("refuses a config owned by another user", { skip: !isRoot && "needs root to chown" }, () => {
    fixture = makeHelperFixture();
    const file = writeConfig();
    chownSync(file, 1000, 1000);
    assert.equal(codeOf(file), "NT_E_BAD_REQUEST");
  });

  it("refuses an allowlist entry with a PCI address but no serial, EUI64 or NGUID", () => {
    fixture = makeHelperFixture();
    const file = writeConfig();
    writeFileSync(file, JSON.stringify({ devices: [{ bdf: TEST_BDF, imageArea: { startLba: 0, sizeBytes: 4096 } }] }));
    assert.equal(codeOf(file), "NT_E_BAD_REQUEST");
  });
});
