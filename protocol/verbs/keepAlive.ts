import { z } from "zod";

/**
 * How long a model stays loaded after its last request ends, as Ollama's `keep_alive` takes it:
 * a duration string ("30s", "5m", "1h30m", "500ms"; a leading "-" means never), or a number of
 * seconds. 0 unloads the model as soon as its requests in flight have ended; a negative value
 * keeps it loaded until it is unloaded explicitly. parseKeepAlive turns it into milliseconds.
 */
export const keepAliveSchema = z.union([
  z.number().refine(Number.isFinite, "keepAlive must be a finite number of seconds"),
  z.string().max(64).regex(/^-?(\d+(\.\d+)?|(\d+(\.\d+)?(ms|h|m|s))+)$/,
    'keepAlive must be seconds or a duration such as "30s", "5m", "1h30m" ("-1": never unload)'),
]);

export type KeepAlive = z.infer<typeof keepAliveSchema>;
