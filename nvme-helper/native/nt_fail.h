// How the driver's C functions say why they failed: a stable NT_E_* code (protocol/errorCodes.ts)
// and a message naming the step, which the N-API layer turns into an NtError-shaped Error.
#pragma once
#include <stdarg.h>
#include <stdio.h>

typedef struct {
  const char* code;   // NT_E_IO, NT_E_TIMEOUT, NT_E_IDENTITY_MISMATCH, …; NULL while nothing failed
  char message[256];
} nt_fail;

/** Records the first failure only (the root cause); later ones are consequences. Returns -1. */
__attribute__((format(printf, 3, 4))) static inline int nt_failf(nt_fail* fail, const char* code, const char* format, ...) {
  if (fail->code != NULL) return -1;
  fail->code = code;
  va_list args;
  va_start(args, format);
  vsnprintf(fail->message, sizeof fail->message, format, args);
  va_end(args);
  return -1;
}
