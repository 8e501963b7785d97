/*
 * weft/http.h - what the HTTP client and server share: an ordered header
 * list, status reason phrases and HTTP dates (RFC 9110). No I/O.
 *
 * weft_http_headers keeps fields in the order they were added, with the
 * sender's case, and looks them up case-insensitively (RFC 9110 §5.1). It
 * owns copies of every name and value. Adding refuses what would let one
 * header smuggle another onto the wire: a name that is not a token, a value
 * with CR, LF or NUL (curl and nginx refuse the same).
 *
 *     weft_http_headers *h;
 *     weft_http_headers_new(&h);
 *     weft_http_headers_add(h, "Accept", "text/html");
 *     weft_http_headers_set(h, "User-Agent", "weft/0.1");
 *     const char *ua = weft_http_headers_get(h, "user-agent");   // "weft/0.1"
 *     weft_http_headers_free(h);
 */
#ifndef WEFT_HTTP_H
#define WEFT_HTTP_H

#include <stddef.h>
#include <time.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- headers */

typedef struct weft_http_headers weft_http_headers;

/* Limits of one header list: more fields or bytes is -E2BIG, so a list fed
 * from a hostile peer cannot grow without bound. Generous next to what the
 * parsers accept (100 fields, 64 KiB by default). */
#define WEFT_HTTP_HEADERS_MAX_FIELDS 1024u
#define WEFT_HTTP_HEADERS_MAX_BYTES  (1024u * 1024u)

/* Make an empty list. Returns 0 or -ENOMEM. */
int weft_http_headers_new(weft_http_headers **out);
/* Free it and every string it returned. NULL is a no-op. */
void weft_http_headers_free(weft_http_headers *h);
/* Remove every field (the memory is kept for reuse). */
void weft_http_headers_clear(weft_http_headers *h);
/* Replace dst's fields with copies of src's. */
int weft_http_headers_copy(weft_http_headers *dst, const weft_http_headers *src);

/* Append a field (a repeated name adds another line, as for Set-Cookie).
 * Returns 0, -EINVAL (name not a token, value with CR/LF/NUL), -E2BIG (a
 * limit above) or -ENOMEM. Leading and trailing spaces/tabs of the value are
 * dropped. The n-variant takes lengths (no NUL needed). */
int weft_http_headers_add(weft_http_headers *h, const char *name, const char *value);
int weft_http_headers_addn(weft_http_headers *h, const char *name, size_t nlen,
                           const char *value, size_t vlen);
/* Set name to value: the first field of that name gets the new value and
 * keeps its place, later ones are removed; appended if there was none. */
int weft_http_headers_set(weft_http_headers *h, const char *name, const char *value);
/* Append only when no field of that name exists yet (a default). Returns 0
 * (added or already there) or as add. */
int weft_http_headers_setdefault(weft_http_headers *h, const char *name, const char *value);
/* Remove every field named name; returns how many went. */
int weft_http_headers_remove(weft_http_headers *h, const char *name);

/* The value of the first field named name, or NULL. Owned by h, valid until
 * the next change to h. */
const char *weft_http_headers_get(const weft_http_headers *h, const char *name);
/* Index of the first field named name at or after from, or -1: loop with
 * from = previous + 1 for repeated fields. */
int weft_http_headers_find(const weft_http_headers *h, const char *name, size_t from);
/* True when some field named name has token in its comma-separated value
 * (Connection: keep-alive, upgrade), case-insensitively. */
bool weft_http_headers_has_token(const weft_http_headers *h, const char *name, const char *token);

size_t weft_http_headers_count(const weft_http_headers *h);
/* Field i (0 <= i < count): name and value (owned by h, NUL-terminated),
 * lengths optional. Returns 0 or -ERANGE. */
int weft_http_headers_at(const weft_http_headers *h, size_t i, const char **name, size_t *nlen,
                         const char **value, size_t *vlen);

/* The fields as "Name: value\r\n" lines: wire_len is their total length;
 * write stores them at out (room for wire_len bytes, no NUL) and returns the
 * length written. */
size_t weft_http_headers_wire_len(const weft_http_headers *h);
size_t weft_http_headers_write(const weft_http_headers *h, char *out);

/* True when name is a valid field name (RFC 9110 token), value a valid
 * field value for the wire (no CR, LF or NUL): what add checks. */
bool weft_http_token_valid(const char *s, size_t len);
bool weft_http_value_valid(const char *s, size_t len);

/* ------------------------------------------------------------------ status */

/* The standard reason phrase of status ("Not Found"), or "" for a code with
 * none (so it can always be printed). */
const char *weft_http_reason(int status);

/* ------------------------------------------------------------------- dates */

/* IMF-fixdate, the only format to send: "Sun, 06 Nov 1994 08:49:37 GMT". */
#define WEFT_HTTP_DATE_LEN 29

/* Format t (UTC seconds) into out, which has room for WEFT_HTTP_DATE_LEN + 1
 * bytes (NUL-terminated). Returns WEFT_HTTP_DATE_LEN, or -EINVAL for a time
 * before year 0 or after 9999. */
int weft_http_date_format(time_t t, char *out);

/* Parse an HTTP-date in any of the three formats a recipient must accept
 * (RFC 9110 §5.6.7): IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT",
 * two-digit years read as within 50 years of now, per the RFC) and asctime
 * ("Sun Nov  6 08:49:37 1994"). Returns 0 and the UTC seconds in *out, or
 * -EINVAL for anything else: a conditional request with a bad date is then
 * treated as having none, as the RFC says. */
int weft_http_date_parse(const char *s, size_t len, time_t *out);

#ifdef __cplusplus
}
#endif
#endif
