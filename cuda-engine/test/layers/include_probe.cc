// Compiled as a file of one layer or another (test/layers/layers.cmake): includes NT_PROBE_HEADER,
// which must be found from a layer that depends on the header's layer, and not from one that
// does not.
#include NT_PROBE_HEADER
