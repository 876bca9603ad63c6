import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LiveConfig } from "../daemon/config/LiveConfig.js";
import { parseDaemonArgs } from "../daemon/config/parseDaemonArgs.js";
import { DEFAULT_DAEMON_CONFIG } from "../daemon/config/defaultDaemonConfig.js";
import { resolveDaemonConfig } from "../daemon/config/resolveDaemonConfig.js";
import { NtError } from "../protocol/NtError.js";

describe("daemon configuration", () => {
  let dir: string;
  let file: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ntd-config-"));
    file = path.join(dir, "config.json");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Rejects with an NtError of `code` whose message names `needle`. */
  async function rejectsNaming(promise: Promise<unknown>, code: string, needle: string): Promise<void> {
    await assert.rejects(promise, (err: unknown) => {
      assert.ok(err instanceof NtError);
      assert.equal(err.code, code);
      assert.ok(err.message.includes(needle), `"${err.message}" names ${needle}`);
      return true;
    });
  }

  it("uses the defaults when the default file is missing and nothing else is set", async () => {
    const config = await resolveDaemonConfig({ env: {} });
    assert.deepEqual(config, { ...DEFAULT_DAEMON_CONFIG });
    assert.equal(config.socketMode, 0o660);
    assert.equal(config.http, "", "HTTP is off unless asked for");
  });

  it("layers defaults < file < environment < flags, key by key", async () => {
    await writeFile(file, JSON.stringify({ logLevel: "warn", queueLimit: 7, threads: 2, keepAlive: "10m", socketMode: "0640" }));
    const config = await resolveDaemonConfig({
      configPath: file,
      env: { NT_QUEUE_LIMIT: "8", NT_THREADS: "3", NT_SOCKET: "" },
      flags: { threads: 4, socket: undefined },
    });
    assert.equal(config.logLevel, "warn", "file over default");
    assert.equal(config.keepAlive, "10m", "file over default");
    assert.equal(config.socketMode, 0o640, "octal string read as octal");
    assert.equal(config.queueLimit, 8, "environment over file");
    assert.equal(config.threads, 4, "flag over environment");
    assert.equal(config.socket, DEFAULT_DAEMON_CONFIG.socket, "an empty variable and an unset flag override nothing");
    assert.equal(config.maxLoadedModels, DEFAULT_DAEMON_CONFIG.maxLoadedModels);
  });

  it("normalises the HTTP address: a bare port is loopback, off and \"\" disable", async () => {
    assert.equal((await resolveDaemonConfig({ env: { NT_HTTP: "8080" } })).http, "127.0.0.1:8080");
    assert.equal((await resolveDaemonConfig({ env: { NT_HTTP: "off" } })).http, "");
    assert.equal((await resolveDaemonConfig({ env: {}, flags: { http: "" } })).http, "");
    assert.equal((await resolveDaemonConfig({ env: {}, flags: { http: "[::1]:9000" } })).http, "[::1]:9000");
  });

  it("refuses an unknown key in the file, naming it", async () => {
    await writeFile(file, JSON.stringify({ logLevel: "info", queueLimt: 3 }));
    await rejectsNaming(resolveDaemonConfig({ configPath: file, env: {} }), "NT_E_BAD_REQUEST", "queueLimt");
  });

  it("refuses a wrong type in the file, naming the key", async () => {
    await writeFile(file, JSON.stringify({ maxLoadedModels: "two" }));
    await rejectsNaming(resolveDaemonConfig({ configPath: file, env: {} }), "NT_E_BAD_REQUEST", "maxLoadedModels");
  });

  it("refuses invalid JSON, naming the file", async () => {
    await writeFile(file, "{ logLevel: info");
    await rejectsNaming(resolveDaemonConfig({ configPath: file, env: {} }), "NT_E_BAD_REQUEST", file);
  });

  it("refuses a missing file named with --config", async () => {
    await rejectsNaming(resolveDaemonConfig({ configPath: path.join(dir, "nope.json"), env: {} }), "NT_E_NOT_FOUND", "nope.json");
  });

  it("names the environment variable or the flag that is wrong", async () => {
    await rejectsNaming(resolveDaemonConfig({ env: { NT_QUEUE_LIMIT: "many" } }), "NT_E_BAD_REQUEST", "NT_QUEUE_LIMIT");
    await rejectsNaming(resolveDaemonConfig({ env: { NT_LOG_LEVEL: "loud" } }), "NT_E_BAD_REQUEST", "NT_LOG_LEVEL");
    await rejectsNaming(resolveDaemonConfig({ env: {}, flags: { keepAlive: "soon" } }), "NT_E_BAD_REQUEST", "--keep-alive");
    await rejectsNaming(resolveDaemonConfig({ env: {}, flags: { socketMode: "999" } }), "NT_E_BAD_REQUEST", "--socket-mode");
  });

  it("reads flags from the command line without defaults of its own; --log-json means json", async () => {
    const args = await parseDaemonArgs(["node", "ntd", "--config", file, "--log-json", "--queue-limit", "9"]);
    assert.equal(args.configPath, file);
    assert.equal(args.flags.logFormat, "json");
    assert.equal(args.flags.queueLimit, 9);
    assert.equal(args.flags.logLevel, undefined, "an option left out overrides nothing");
  });

  it("reads the HTTP allow-lists as a JSON array or comma-separated, normalised, with none by default", async () => {
    assert.deepEqual(DEFAULT_DAEMON_CONFIG.httpAllowedHosts, []);
    assert.deepEqual(DEFAULT_DAEMON_CONFIG.httpAllowedOrigins, []);
    await writeFile(file, JSON.stringify({ httpAllowedHosts: ["NTD.lan", "[::1]:8080", "10.0.0.5"], httpAllowedOrigins: ["HTTP://Chat.Example:80"] }));
    const fromFile = await resolveDaemonConfig({ configPath: file, env: {} });
    assert.deepEqual(fromFile.httpAllowedHosts, ["ntd.lan", "[::1]:8080", "10.0.0.5"]);
    assert.deepEqual(fromFile.httpAllowedOrigins, ["http://chat.example"], "as browsers send it: lower case, no default port");
    const fromEnv = await resolveDaemonConfig({ env: { NT_HTTP_ALLOWED_HOSTS: "a.lan, b.lan:81,", NT_HTTP_ALLOWED_ORIGINS: "https://x.example:8443,http://localhost:3000/" } });
    assert.deepEqual(fromEnv.httpAllowedHosts, ["a.lan", "b.lan:81"]);
    assert.deepEqual(fromEnv.httpAllowedOrigins, ["https://x.example:8443", "http://localhost:3000"]);
    const args = await parseDaemonArgs(["node", "ntd", "--http-allowed-hosts", "c.lan", "--http-allowed-origins", "http://localhost:3000"]);
    const fromFlags = await resolveDaemonConfig({ env: {}, flags: args.flags });
    assert.deepEqual([fromFlags.httpAllowedHosts, fromFlags.httpAllowedOrigins], [["c.lan"], ["http://localhost:3000"]]);
  });

  it("refuses a malformed allowed host or origin, naming the key", async () => {
    await rejectsNaming(resolveDaemonConfig({ env: { NT_HTTP_ALLOWED_HOSTS: "ok.lan,http://bad.lan" } }), "NT_E_BAD_REQUEST", "NT_HTTP_ALLOWED_HOSTS");
    for (const origin of ["chat.example", "http://chat.example/app", "http://chat.example?x", "ftp://chat.example", "null", "*"]) {
      await rejectsNaming(resolveDaemonConfig({ env: {}, flags: { httpAllowedOrigins: [origin] } }), "NT_E_BAD_REQUEST", "--http-allowed-origins");
    }
  });

  it("reads the socket's frame limits; refuses a buffer limit below one frame and a timeout below a second", async () => {
    assert.equal(DEFAULT_DAEMON_CONFIG.socketFrameTimeout, 30);
    assert.equal(DEFAULT_DAEMON_CONFIG.socketBufferLimit, 64 * 2 ** 20);
    const config = await resolveDaemonConfig({ env: { NT_SOCKET_FRAME_TIMEOUT: "5", NT_SOCKET_BUFFER_LIMIT: "256MiB" } });
    assert.deepEqual([config.socketFrameTimeout, config.socketBufferLimit], [5, 256 * 2 ** 20]);
    await rejectsNaming(resolveDaemonConfig({ env: { NT_SOCKET_BUFFER_LIMIT: "8MiB" } }), "NT_E_BAD_REQUEST", "NT_SOCKET_BUFFER_LIMIT");
    await rejectsNaming(resolveDaemonConfig({ env: {}, flags: { socketFrameTimeout: 0 } }), "NT_E_BAD_REQUEST", "--socket-frame-timeout");
  });

  it("reload applies new allowed hosts and origins at once; the socket limits need a restart", async () => {
    await writeFile(file, JSON.stringify({}));
    const live = await LiveConfig.load({ configPath: file, env: {} });
    await writeFile(file, JSON.stringify({ httpAllowedHosts: ["ntd.lan"], httpAllowedOrigins: ["http://localhost:3000"], socketBufferLimit: "128MiB" }));
    const result = await live.reload();
    assert.deepEqual(result.applied.sort(), ["httpAllowedHosts", "httpAllowedOrigins"]);
    assert.deepEqual(result.needRestart, ["socketBufferLimit"]);
    assert.deepEqual(live.current.httpAllowedHosts, ["ntd.lan"]);
  });

  it("reload applies live keys, keeps restart-only keys, and leaves a bad file without effect", async () => {
    await writeFile(file, JSON.stringify({ logLevel: "info", keepAlive: "5m" }));
    const live = await LiveConfig.load({ configPath: file, env: { NT_QUEUE_LIMIT: "5" } });
    const seen: string[] = [];
    live.onChange((config, previous) => seen.push(`${previous.logLevel}->${config.logLevel}`));

    await writeFile(file, JSON.stringify({ logLevel: "debug", keepAlive: "1h", queueLimit: 99, socket: "/tmp/elsewhere.sock" }));
    const result = await live.reload();
    assert.deepEqual(result.applied.sort(), ["keepAlive", "logLevel"], "queueLimit stays the environment's");
    assert.deepEqual(result.needRestart, ["socket"]);
    assert.equal(live.current.logLevel, "debug");
    assert.equal(live.current.queueLimit, 5);
    assert.equal(live.current.socket, DEFAULT_DAEMON_CONFIG.socket, "the socket in use is still reported");
    assert.deepEqual(seen, ["info->debug"]);

    await writeFile(file, JSON.stringify({ logLevel: "shout" }));
    await assert.rejects(live.reload(), { code: "NT_E_BAD_REQUEST" });
    assert.equal(live.current.logLevel, "debug", "the configuration in effect survives a bad edit");
  });
});
