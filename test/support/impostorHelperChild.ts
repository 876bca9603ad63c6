// A process pretending to be nt-nvme-helper (run by helperClientServerCheck.test.ts under another
// uid): listens on argv[2], records every packet and fd that reaches it, answers each packet with
// an error (so a client that did send does not hang), and when its stdin ends prints what it got as
// one JSON line: {"connections": n, "packets": n, "fds": n}.
import { closeSync } from "node:fs";
import { decodeHelperPacket, encodeHelperPacket } from "../../protocol/helper/helperPackets.js";
import { SeqpacketServer } from "../../protocol/helper/seqpacket/SeqpacketServer.js";

const socketPath = process.argv[2];
if (!socketPath) throw new Error("usage: impostorHelperChild SOCKET");
const seen = { connections: 0, packets: 0, fds: 0 };
const server = SeqpacketServer.listen({ path: socketPath, mode: 0o777 }, { maxFds: 4 }, (connection) => {
  seen.connections++;
  connection.start({
    packet: (data, fds) => {
      seen.packets++;
      seen.fds += fds.length;
      fds.forEach((fd) => closeSync(fd));
      const { id } = decodeHelperPacket(data) as { id?: number };
      connection.send(encodeHelperPacket({ kind: "error", id, error: { code: "NT_E_IO", message: "an impostor got this request" } }));
    },
    badPacket: () => { seen.packets++; },
    close: () => {},
  });
});
process.stdout.write("listening\n");
process.stdin.resume();
process.stdin.on("end", () => {
  server.close();
  process.stdout.write(`${JSON.stringify(seen)}\n`);
  process.exit(0);
});
