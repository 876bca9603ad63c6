/**
 * `log`, letting through at most `perSecond` lines a second; the first line after a quiet spell
 * says how many were left out. For lines a peer can cause at will (a refused peer reconnects in a
 * loop), so no peer can fill the journal — issue 11 saw 22 MB of log in 8 s.
 */
export function rateLimitedLog(log: (line: string) => void, perSecond: number): (line: string) => void {
  let windowStart = 0;
  let inWindow = 0;
  let leftOut = 0;
  return (line) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      inWindow = 0;
    }
    if (inWindow >= perSecond) {
      leftOut++;
      return;
    }
    inWindow++;
    log(leftOut > 0 ? `${line} (${leftOut} similar lines left out before this one)` : line);
    leftOut = 0;
  };
}
