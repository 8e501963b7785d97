/*
 * weft/form.h - application/x-www-form-urlencoded: build and parse.
 *
 * A weft_form is an ordered list of (name, value) byte strings. Add pairs and
 * encode them to a request body or URL query ("a=1&b=x+y"), or parse such a
 * string into pairs. Encoding follows the WHATWG urlencoded serializer, as
 * browsers and Python's requests do: ALPHA DIGIT * - . _ stay, space becomes
 * '+', everything else is %XX (UTF-8 bytes as given). No I/O.
 */
#ifndef WEFT_FORM_H
#define WEFT_FORM_H

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_form weft_form;

/* Limits for weft_form_parse. A zero field takes the default. */
typedef struct weft_form_limits {
    size_t max_pairs;  /* default 1000: more fails with -E2BIG */
    size_t max_length; /* default 1 MiB of input: longer fails with -E2BIG */
} weft_form_limits;

#define WEFT_FORM_MAX_PAIRS 1000
#define WEFT_FORM_MAX_LENGTH (1u << 20)

/* An empty form. Returns 0 or -ENOMEM. */
int weft_form_new(weft_form **out);
void weft_form_free(weft_form *f);

/* Append a pair; both strings are copied (they may hold any bytes). A length
 * of WEFT_FORM_NTS means "strlen". Returns 0 or -ENOMEM. */
#define WEFT_FORM_NTS ((size_t)-1)
int weft_form_add(weft_form *f, const char *name, size_t nlen, const char *value,
                  size_t vlen);

/* Number of pairs. */
size_t weft_form_count(const weft_form *f);

/* The i-th pair (0-based), decoded. The pointers are owned by the form and
 * NUL-terminated (values may also contain NUL bytes; use the lengths).
 * Returns 0, or -ERANGE when i >= count. Any out pointer may be NULL. */
int weft_form_get(const weft_form *f, size_t i, const char **name, size_t *nlen,
                  const char **value, size_t *vlen);

/* The value of the first pair named `name` (NUL-terminated), or NULL. */
const char *weft_form_find(const weft_form *f, const char *name, size_t *vlen);

/* Serialise to "n1=v1&n2=v2". On success returns the length (>= 0) and
 * stores a malloc'd NUL-terminated string in *out (caller frees it). Returns
 * -ENOMEM or -EOVERFLOW (longer than INT_MAX). */
int weft_form_encode(const weft_form *f, char **out);

/* Parse s[0..len) (a body or a URL query without '?') into a new form.
 * Splits on '&', then on the first '=' ("a" alone is name "a", value "");
 * empty sequences ("a=1&&b=2") are skipped; '+' and %XX are decoded
 * (malformed escapes stay literal, as in browsers). lim may be NULL.
 * Returns 0 or -E2BIG (over a limit) or -ENOMEM; *out untouched on error. */
int weft_form_parse(const char *s, size_t len, const weft_form_limits *lim, weft_form **out);

#ifdef __cplusplus
}
#endif
#endif
