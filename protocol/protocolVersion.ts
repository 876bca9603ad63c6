/**
 * The version of the ntd.sock protocol, exchanged in the hello frames. Bump it on any change a
 * peer of the previous version would refuse or misread (a new required field, a changed meaning);
 * the server refuses a client hello with any other number. Clients validate results strictly, so
 * a new result field is such a change.
 *
 * 1: the first version. 2: `load` takes backend, vramBudget, pinnedBudget, stagingSlots; ModelInfo
 * and ModelStatus carry backend and placement, ModelStatus the stream stages. 3: `load` takes
 * dualPath; a placement carries the dual path (tier D, its calibration and predicted pass).
 */
export const PROTOCOL_VERSION = 3;
