/*
 * process_int.h - test hooks of the subprocess layer.
 */
#ifndef WEFT_PROCESS_INT_H
#define WEFT_PROCESS_INT_H

#include <stdbool.h>

/* Make spawns on this thread skip pidfd_open and use the SIGCHLD fallback,
 * as on a kernel older than 5.3 (tests exercise both paths). */
void weft__process_force_sigchld(bool on);

/* Whether p is watched through the SIGCHLD fallback (else a pidfd). */
struct weft_process;
bool weft__process_uses_sigchld(const struct weft_process *p);

#endif
