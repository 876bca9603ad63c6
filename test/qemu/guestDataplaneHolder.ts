// A stand-in for ntd in guestVfioProof.ts's kill -9 check: opens a data-plane session (so the
// helper watches this process), hands the memfd to dataplaneClient in "hold" mode (one read done,
// mapping held), prints "holding" and waits to be killed.   guestDataplaneHolder SOCKET DEVICE CLIENT
import { spawn } from "node:child_process";
import { closeSync } from "node:fs";
import { HelperClient } from "../../protocol/helper/HelperClient.js";

const [socket, device, clientPath] = process.argv.slice(2);
if (socket === undefined || device === undefined || clientPath === undefined) throw new Error("usage: guestDataplaneHolder SOCKET DEVICE CLIENT");
const client = await HelperClient.connect(socket);
const { fd } = await client.openDataplane({ device, slots: 2, slotBytes: 1 << 20 });
client.close();
const holder = spawn(clientPath, ["hold"], { stdio: ["ignore", "pipe", "inherit", fd] });
closeSync(fd);
holder.stdout?.on("data", (chunk: Buffer) => {
  if (chunk.toString().includes("holding")) process.stdout.write(`holding ${holder.pid}\n`);
});
setInterval(() => {}, 1 << 30);
