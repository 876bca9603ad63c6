/**
 * The version of the ntd.sock protocol, exchanged in the hello frames. Bump it on any change a
 * peer of the previous version would refuse or misread (a new required field, a changed meaning);
 * the server refuses a client hello with any other number.
 */
export const PROTOCOL_VERSION = 1;
