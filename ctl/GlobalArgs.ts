/** The options every ntctl command accepts (declared once, in main.ts). */
export interface GlobalArgs {
  /** The daemon's socket path; default $NT_SOCKET, else /run/ntd/ntd.sock. */
  socket: string;
  /** Print the result (and errors) as one JSON object on stdout instead of text. Default false. */
  json: boolean;
}
