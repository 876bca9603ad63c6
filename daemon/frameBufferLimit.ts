/**
 * The default of what all of ntd.sock's connections together may hold of frames not yet complete
 * (config key socketBufferLimit): four frames of the largest size (MAX_FRAME_BYTES). Requests are
 * far smaller (a 128K-token prompt is about 0.5 MB of text) and arrive in a read or a few, so
 * honest clients hold little of it, and only for a moment.
 */
export const FRAME_BUFFER_LIMIT = 64 * 1024 * 1024;
