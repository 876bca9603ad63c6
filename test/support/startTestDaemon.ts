import { NtClient } from "../../ctl/NtClient.js";
import { DaemonServer, type DaemonServerOptions } from "../../daemon/DaemonServer.js";
import { makeSocketDir } from "./makeSocketDir.js";

/** An in-process ntd on a temporary socket with one connected client, and how to take it down. */
export interface TestDaemon {
  dir: Awaited<ReturnType<typeof makeSocketDir>>;
  server: DaemonServer;
  client: NtClient;
  /** Closes the client, stops the daemon and removes the socket folder. */
  stop(): Promise<void>;
}

/** `clientName`: what the client says in its hello (the daemon logs it). */
export async function startTestDaemon(options: Omit<DaemonServerOptions, "socketPath">, clientName?: string): Promise<TestDaemon> {
  const dir = await makeSocketDir();
  const server = new DaemonServer({ ...options, socketPath: dir.socketPath });
  await server.start();
  const client = await NtClient.connect({ socketPath: dir.socketPath, ...(clientName === undefined ? {} : { clientName }) });
  return {
    dir, server, client,
    stop: async () => {
      client.close();
      await server.stop();
      await dir.remove();
    },
  };
}
