import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import { HelperClient } from "../ctl/helper/HelperClient.js";
import { loadHelperConfig } from "../nvme-helper/config/loadHelperConfig.js";
import { HelperServer } from "../nvme-helper/HelperServer.js";
import { loadPeerCredentialsAddon, peerCredentials } from "../nvme-helper/peer/peerCredentials.js";
import { NtError } from "../protocol/NtError.js";
import { wireCodec } from "../protocol/wireCodec.js";
import { encodeHelperPacket } from "../protocol/helper/encodeHelperPacket.js";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";
import { RawConnection } from "./support/RawConnection.js";

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
  await server.listen({ path: socketPath });
  chmodSync(socketPath, 0o777);
  return socketPath;
}

/** Sends one status request as `uid` from a child process and returns the first message it got back. */
function statusAs(uid: number, socketPath: string): Promise<unknown> {
  const script = `const s=require("net").connect(${JSON.stringify(socketPath)});const c=[];` +
    `s.on("data",(d)=>c.push(d));s.on("error",()=>{});s.on("close",()=>process.stdout.write(Buffer.concat(c).toString("hex")));` +
    `s.write(Buffer.from(${JSON.stringify(encodeHelperPacket({ kind: "request", id: 1, verb: "status", params: {} }).toString("hex"))},"hex"));` +
    `setTimeout(()=>s.end(),500);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { uid, gid: uid, cwd: "/" });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => { out += chunk.toString(); });
    child.on("error", reject);
    child.on("close", () => {
      const bytes = Buffer.from(out, "hex");
      resolve(bytes.length >= 4 ? wireCodec.unpack(bytes.subarray(4, 4 + bytes.readUInt32BE(0))) : undefined);
    });
  });
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  fixture.remove();
});

describe("nt-nvme-helper server", () => {
  it("serves status, bind and restore to an allowed peer through HelperClient, one log line each", async () => {
    fixture = makeHelperFixture();
    const client = await HelperClient.connect(await startHelper());
    try {
      assert.equal((await client.request("status", {})).devices[0]?.driver, "nvme");
      assert.equal((await client.request("bind", { device: TEST_BDF })).device.driver, "vfio-pci");
      assert.equal((await client.request("restore", {})).devices[0]?.driver, "nvme");
      await assert.rejects(client.request("bind", { device: "0000:05:00.0" }), { code: "NT_E_DEVICE_NOT_ALLOWED" });
      await assert.rejects(client.request("place", { device: TEST_BDF, name: "m" }), { code: "NT_E_UNSUPPORTED" });
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

  const hostile: Array<[string, Buffer, string]> = [
    ["an oversized length", Buffer.from([0, 0x10, 0, 1]), "NT_E_FRAME_TOO_LARGE"],
    ["a zero length", Buffer.from([0, 0, 0, 0]), "NT_E_BAD_FRAME"],
    ["a body that is not one msgpack value", Buffer.from([0, 0, 0, 1, 0x92]), "NT_E_BAD_FRAME"],
    ["an unknown verb", encodeHelperPacket({ kind: "request", id: 1, verb: "write-sysfs", params: {} }), "NT_E_UNKNOWN_VERB"],
    ["an inherited property as verb", encodeHelperPacket({ kind: "request", id: 1, verb: "constructor", params: {} }), "NT_E_UNKNOWN_VERB"],
    ["an unknown field", encodeHelperPacket({ kind: "request", id: 1, verb: "status", params: {}, sudo: true }), "NT_E_BAD_REQUEST"],
    ["an unknown param", encodeHelperPacket({ kind: "request", id: 1, verb: "bind", params: { device: TEST_BDF, path: "/dev/sda" } }), "NT_E_BAD_REQUEST"],
    ["a path trick as device", encodeHelperPacket({ kind: "request", id: 1, verb: "bind", params: { device: "../../../../etc" } }), "NT_E_BAD_REQUEST"],
    ["an ntd hello", encodeHelperPacket({ kind: "hello", protocol: 1, client: "x" }), "NT_E_BAD_REQUEST"],
  ];
  for (const [what, bytes, code] of hostile) {
    it(`drops only the connection that sent ${what} (${code})`, async () => {
      fixture = makeHelperFixture();
      const socketPath = await startHelper();
      const bystander = await HelperClient.connect(socketPath);
      const attacker = await RawConnection.open(socketPath);
      attacker.write(bytes);
      const answer = await attacker.next() as { kind: string; id?: number; error: { code: string } };
      assert.equal(answer.kind, "error");
      assert.equal(answer.id, undefined);
      assert.equal(answer.error.code, code);
      await attacker.closed;
      assert.equal((await bystander.request("status", {})).devices.length, 1, "other connections and the helper live on");
      bystander.close();
      assert.deepEqual(fixture.kernel.writes, []);
    });
  }

  it("drops a connection that pipelines a second request before the first is answered", async () => {
    fixture = makeHelperFixture();
    const attacker = await RawConnection.open(await startHelper());
    const request = encodeHelperPacket({ kind: "request", id: 1, verb: "status", params: {} });
    attacker.write(Buffer.concat([request, request]));
    const frames = [await attacker.next(), await attacker.next().catch(() => undefined)];
    assert.ok(frames.some((frame) => (frame as { error?: { code: string } }).error?.code === "NT_E_BUSY"));
    await attacker.closed;
  });

  it("leaves nothing behind from a truncated frame: the peer hangs up, the helper serves the next one", async () => {
    fixture = makeHelperFixture();
    const socketPath = await startHelper();
    const attacker = await RawConnection.open(socketPath);
    attacker.write(encodeHelperPacket({ kind: "request", id: 1, verb: "status", params: {} }).subarray(0, 7));
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
