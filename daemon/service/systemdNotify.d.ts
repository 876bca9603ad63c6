// Types of the npm package systemd-notify 1.0.0 (it ships none), from its notify.js: it spawns the
// `systemd-notify` binary with --ready, --pid=PID (process.pid unless given), --status=TEXT and
// --booted, and resolves with the child process once it exits 0.
declare module "systemd-notify" {
  import type { ChildProcess } from "node:child_process";

  interface SystemdNotifyOptions {
    ready?: boolean;
    status?: string;
    pid?: number;
    booted?: boolean;
  }

  function notify(options?: SystemdNotifyOptions): Promise<ChildProcess>;
  export default notify;
}
