// Issue 11, finding 1 (client side): a helper client checks with SO_PEERCRED that root listens on
// helper.sock before it sends anything, so a process that took the socket path gets no request and
// none of root's fds.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, it } from "node:test";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import type { SeqpacketConnection } from "../protocol/helper/seqpacket/SeqpacketConnection.js";
import { SeqpacketServer } from "../protocol/helper/seqpacket/SeqpacketServer.js";
import { rejectionCode } from "./support/rejectionCode.js";
import { runNtctl } from "./support/runNtctl.js";

const impostorMain = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "impostorHelperChild.js");
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const myUid = process.getuid?.() ?? 0;

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A listener in this process (so as this uid) counting what reaches it. */
function listenHere(socketPath: string) {
  const seen = { connections: 0, packets: 0, fds: 0 };
  const connections: SeqpacketConnection[] = [];
  const server = SeqpacketServer.listen({ path: socketPath }, { maxFds: 4 }, (connection) => {
    seen.connections++;
    connections.push(connection);
    connection.start({ packet: (_data, fds) => { seen.packets++; seen.fds += fds.length; }, badPacket: () => {}, close: () => {} });
  });
  return { seen, close: () => { server.close(); connections.forEach((c) => c.close()); } };
}

describe("helper clients check the helper's uid (SO_PEERCRED) before sending", () => {
  it("HelperClient.connect refuses a listener of another uid with NT_E_HELPER_NOT_ROOT naming the socket and the uid, and sends nothing", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "nthc-"));
    const socketPath = path.join(dir, "helper.sock");
    const listener = listenHere(socketPath);
    try {
      const error = await HelperClient.connect(socketPath, { expectedServerUid: myUid + 1 }).then(() => undefined, (err: Error) => err);
      assert.equal((error as { code?: string } | undefined)?.code, "NT_E_HELPER_NOT_ROOT");
      assert.ok(error?.message.includes(socketPath) && error.message.includes(`uid ${myUid} `), error?.message);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(listener.seen, { connections: 1, packets: 0, fds: 0 });
    } finally {
      listener.close();
    }
  });

  it("HelperClient.connect accepts a listener of the expected uid", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "nthc-"));
    const socketPath = path.join(dir, "helper.sock");
    const listener = listenHere(socketPath);
    try {
      const client = await HelperClient.connect(socketPath, { expectedServerUid: myUid });
      client.close();
    } finally {
      listener.close();
    }
  });

  it("ntctl place run by root refuses a helper.sock served by uid nobody: exit 7, no packet and no fd reach it",
    { skip: !isRoot && "needs root to run the impostor as another uid" }, async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), "nthc-"));
      chownSync(dir, NOBODY, NOBODY);
      const socketPath = path.join(dir, "helper.sock");
      const gguf = path.join(dir, "model.gguf");
      writeFileSync(gguf, "GGUF root's file");
      const impostor = spawn(process.execPath, [impostorMain, socketPath], { uid: NOBODY, gid: NOBODY, cwd: "/", stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      impostor.stdout.setEncoding("utf8").on("data", (text: string) => { out += text; });
      while (!out.includes("listening\n")) {
        if (impostor.exitCode !== null) assert.fail("the impostor exited before listening");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const run = await runNtctl(["place", gguf, "--device", "0000:01:00.0", "--helper-socket", socketPath, "--json"]);
      impostor.stdin.end();
      await once(impostor, "close");
      assert.equal(run.code, 7, run.stderr);
      assert.equal((JSON.parse(run.stdout) as { error: { code: string } }).error.code, "NT_E_HELPER_NOT_ROOT");
      assert.match(run.stdout, new RegExp(`uid ${NOBODY} `));
      assert.deepEqual(JSON.parse(out.split("\n")[1] ?? ""), { connections: 1, packets: 0, fds: 0 });
    });

  it("HelperClient.connect rejects a missing socket with NT_E_DAEMON_UNREACHABLE, as before", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "nthc-"));
    assert.equal(await rejectionCode(HelperClient.connect(path.join(dir, "none.sock"))), "NT_E_DAEMON_UNREACHABLE");
  });
});
