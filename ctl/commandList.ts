import type { CommandModule } from "yargs";
import type { GlobalArgs } from "./GlobalArgs.js";
import { benchCommand } from "./commands/bench.js";
import { bindCommand } from "./commands/bind.js";
import { cancelCommand } from "./commands/cancel.js";
import { chatCommand } from "./commands/chat.js";
import { devicesCommand } from "./commands/devices.js";
import { inspectCommand } from "./commands/inspect.js";
import { loadCommand } from "./commands/load.js";
import { placeCommand } from "./commands/place.js";
import { psCommand } from "./commands/ps.js";
import { restoreCommand } from "./commands/restore.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import { stopCommand } from "./commands/stop.js";
import { versionCommand } from "./commands/version.js";

/**
 * Every ntctl command, one module per file in commands/ (DESIGN §6). Adding a command is an
 * import and an entry here. Each command declares its own extra arguments, hence `any` for them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commandList: ReadonlyArray<CommandModule<GlobalArgs, any>> = [
  runCommand,
  chatCommand,
  loadCommand,
  stopCommand,
  cancelCommand,
  statusCommand,
  psCommand,
  inspectCommand,
  benchCommand,
  versionCommand,
  devicesCommand,
  bindCommand,
  restoreCommand,
  placeCommand,
];
