import { runGuestCommand } from "./runGuestCommand.js";

/** Properties of a loaded unit as the running systemd reports them (`systemctl show -p …`), by name. */
export function unitProperties(unit: string, names: string[]): Record<string, string> {
  const { stdout } = runGuestCommand(["systemctl", "show", "--no-pager", "-p", names.join(","), unit]);
  const properties: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) properties[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return properties;
}
