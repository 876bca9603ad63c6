import { Writable } from "node:stream";
import winston from "winston";

/** A logger that keeps every line, so tests can count what the daemon logged. */
export function capturingLogger(): { logger: winston.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = winston.createLogger({
    level: "debug", format: winston.format.simple(), transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, lines };
}
