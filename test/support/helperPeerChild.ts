// A helper.sock client run by tests under another uid (spawn with uid/gid): opens one connection
// per entry of the JSON array argv[3] to the socket argv[2], sends the entry as a request unless it
// is null, and prints one JSON line per thing that happens: {"conn": i, "message": …} for each
// message, {"conn": i, "closed": true} when the helper closes it, {"conn": i, "error": code} when
// connecting fails. Holds its connections until its stdin ends.
import { NtError } from "../../protocol/NtError.js";
import { decodeHelperPacket, encodeHelperPacket } from "../../protocol/helper/helperPackets.js";
import { SeqpacketConnection } from "../../protocol/helper/seqpacket/SeqpacketConnection.js";

const [socketPath, requestsJson] = process.argv.slice(2);
if (!socketPath || !requestsJson) throw new Error("usage: helperPeerChild SOCKET REQUESTS_JSON");
const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
const connections: SeqpacketConnection[] = [];
(JSON.parse(requestsJson) as unknown[]).forEach((request, conn) => {
  let connection: SeqpacketConnection;
  try {
    connection = SeqpacketConnection.connect(socketPath, 4);
  } catch (err) {
    return print({ conn, error: NtError.from(err).code });
  }
  connections.push(connection);
  connection.start({
    packet: (data) => print({ conn, message: decodeHelperPacket(data) }),
    badPacket: () => {},
    close: () => print({ conn, closed: true }),
  });
  if (request !== null) connection.send(encodeHelperPacket(request));
});
print({ ready: true });
process.stdin.resume();
process.stdin.on("end", () => {
  for (const connection of connections) connection.close();
  process.exit(0);
});
