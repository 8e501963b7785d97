/*
 * common_int.h - small helpers shared by every layer inside weft.
 */
#ifndef WEFT_COMMON_INT_H
#define WEFT_COMMON_INT_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the well-formed UTF-8 sequence at p, of at most n >= 1
 * bytes, with its code point in *cp; 0 for anything else: a stray
 * continuation byte, an overlong form, a surrogate, a value past U+10FFFF,
 * a sequence cut short by n (RFC 3629). */
size_t weft__utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

#endif
