// The VFIO data plane's shared memory (issue 15): one sealed memfd that nt-nvme-helper creates and
// passes to its client with `open-dataplane`. Byte 0 holds this header page; the staging slots
// follow at `slots_offset`. The client (the engine's vfio reader) produces requests "image byte
// range → slot, offset"; the helper's data-plane thread validates each (inside the placed image,
// inside one slot, LBA aligned, sane size), reads it with NVMe READs straight into the slot, and
// produces a completion with the request's tag. Single producer, single consumer each way.
// Indices are free-running u32 counters (entry = index % NT_DP_RING_ENTRIES); a side publishes with
// a release store and wakes the other with FUTEX_WAKE on that counter (shared, not private: two
// processes). Nothing the client writes here is trusted: the helper copies a request once, then
// validates the copy, and keeps the geometry it published in its own memory. C11, no padding.
#pragma once
#include <stdint.h>

#define NT_DP_MAGIC 0x3150444e4d49544eull  /* "NTIMNDP1" little-endian */
#define NT_DP_VERSION 1u
#define NT_DP_HEADER_BYTES 4096u
#define NT_DP_RING_ENTRIES 64u

/** session_state values. */
#define NT_DP_STATE_OPEN 0u
#define NT_DP_STATE_CLIENT_CLOSED 1u  /* the client is done: the helper quiesces and ends the session */
#define NT_DP_STATE_STOPPED 2u        /* the helper ended the session (stop_code says why); no more completions */

/** A completion's status: 0 read, else why the request was refused or failed (nothing read into the slot then). */
#define NT_DP_OK 0
#define NT_DP_E_RANGE 1      /* the image range is outside the placed image */
#define NT_DP_E_SLOT 2       /* no such slot, or the range does not fit inside it */
#define NT_DP_E_ALIGN 3      /* image offset or length not a multiple of the LBA size, or slot offset not of 4 */
#define NT_DP_E_SIZE 4       /* zero bytes, or more than max_request_bytes */
#define NT_DP_E_IO 5         /* an NVMe READ failed */
#define NT_DP_E_FATAL 6      /* the controller failed (CSTS.CFS, timeout): every later request fails too */

/** One request: 32 bytes. */
typedef struct {
  uint64_t image_offset;  /* bytes from the start of the GGUF */
  uint32_t bytes;
  uint32_t slot;
  uint32_t slot_offset;   /* bytes from the start of the slot */
  uint32_t tag;           /* the client's, returned in the completion */
  uint64_t reserved;
} nt_dp_request;

/** One completion: 16 bytes. */
typedef struct {
  uint32_t tag;
  int32_t status;         /* NT_DP_OK or NT_DP_E_* */
  uint32_t bytes;         /* bytes read (the request's, on success) */
  uint32_t reserved;
} nt_dp_completion;

/** The header page. The helper writes the geometry once, before passing the fd. */
typedef struct {
  uint64_t magic;
  uint32_t version;
  uint32_t header_bytes;
  uint64_t image_bytes;        /* the GGUF's size; requests may reach the image's last LBA */
  uint32_t lba_bytes;          /* image offsets and lengths are multiples of this */
  uint32_t slot_count;
  uint64_t slot_bytes;         /* each slot; a multiple of 4096 */
  uint64_t slots_offset;       /* where slot 0 starts in the memfd; slot i at slots_offset + i × slot_bytes */
  uint32_t ring_entries;       /* NT_DP_RING_ENTRIES */
  uint32_t max_request_bytes;  /* the most one request may ask for */
  uint8_t reserved0[8];
  /* Each counter on its own cache line. */
  uint32_t request_tail;       /* client: requests published */
  uint8_t pad1[60];
  uint32_t request_head;       /* helper: requests taken */
  uint8_t pad2[60];
  uint32_t completion_tail;    /* helper: completions published */
  uint8_t pad3[60];
  uint32_t completion_head;    /* client: completions taken */
  uint8_t pad4[60];
  uint32_t session_state;      /* NT_DP_STATE_* */
  int32_t stop_code;           /* with STOPPED: NT_DP_OK (asked to), NT_DP_E_FATAL, … */
  uint8_t pad5[56];
  uint8_t reserved1[1024 - 384];
  nt_dp_request requests[NT_DP_RING_ENTRIES];         /* at 1024 */
  nt_dp_completion completions[NT_DP_RING_ENTRIES];   /* at 3072 */
} nt_dp_header;

#ifdef __cplusplus
#define NT_DP_STATIC_ASSERT static_assert
#else
#define NT_DP_STATIC_ASSERT _Static_assert
#endif
NT_DP_STATIC_ASSERT(sizeof(nt_dp_request) == 32, "requests are 32 bytes");
NT_DP_STATIC_ASSERT(sizeof(nt_dp_completion) == 16, "completions are 16 bytes");
NT_DP_STATIC_ASSERT(sizeof(nt_dp_header) == NT_DP_HEADER_BYTES, "the header is one page");
NT_DP_STATIC_ASSERT(__builtin_offsetof(nt_dp_header, request_tail) == 64, "request_tail at 64");
NT_DP_STATIC_ASSERT(__builtin_offsetof(nt_dp_header, requests) == 1024, "requests at 1024");
NT_DP_STATIC_ASSERT(__builtin_offsetof(nt_dp_header, session_state) == 320, "session_state at 320 (ntd writes it: endDataplaneSession.ts)");
