/*
 * weft/url.h - URL parsing, resolution and serialisation, and percent-encoding.
 *
 * Parsing follows RFC 3986 with the leniency browsers (WHATWG URL) need; the
 * exact rules are in docs/url-and-cookies.md. A weft_url is immutable and
 * always normalised: every getter returns the canonical form, and
 * weft_url_href() re-parses to itself (the fuzzer checks this). Nothing here
 * does I/O; all of it may be used from any thread on distinct objects.
 *
 * Strings returned by getters are NUL-terminated and owned by the url: they
 * live until weft_url_free().
 */
#ifndef WEFT_URL_H
#define WEFT_URL_H

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_url weft_url;

/* Longest URL accepted by default, in bytes of input (and of output). */
#define WEFT_URL_MAX_LENGTH 8192

typedef struct weft_url_options {
    /* Longest input and serialised output accepted; 0 = WEFT_URL_MAX_LENGTH.
     * Longer ones fail with WEFT_EURL_TOO_LONG. */
    size_t max_length;
} weft_url_options;

/* Parse the absolute URL s[0..len). Leading and trailing spaces and control
 * characters are ignored, and tabs/newlines inside are removed, as browsers do.
 * On success returns 0 and stores a new url in *out (free with weft_url_free).
 * Errors: WEFT_EURL_SCHEME (no or invalid scheme), WEFT_EURL_HOST (missing
 * host for http/https/ws/wss, bad IP literal, IDNA failure, forbidden
 * characters), WEFT_EURL_PORT (not digits, 0, or > 65535), WEFT_EURL_TOO_LONG,
 * WEFT_EURL (anything else malformed), -ENOMEM. *out is untouched on error. */
int weft_url_parse(const char *s, size_t len, weft_url **out);
int weft_url_parse_opt(const char *s, size_t len, const weft_url_options *opt,
                       weft_url **out);

/* Resolve the reference ref[0..len) against base (RFC 3986 section 5.2, with
 * dot-segment removal). ref may be absolute, network-path ("//h/p"),
 * absolute-path, relative-path, query-only, fragment-only or empty. For
 * http/https/ws/wss, "http:g" with the base's own scheme is read as the
 * relative "g" (RFC 3986 5.4.2's backward-compatible reading, as browsers
 * do). Same return values as weft_url_parse. base is borrowed. */
int weft_url_resolve(const weft_url *base, const char *ref, size_t len, weft_url **out);
int weft_url_resolve_opt(const weft_url *base, const char *ref, size_t len,
                         const weft_url_options *opt, weft_url **out);

/* Make an independent copy. Returns 0 or -ENOMEM. */
int weft_url_dup(const weft_url *u, weft_url **out);

void weft_url_free(weft_url *u);

/* The full normalised serialisation, e.g. "https://xn--bcher-kva.example/a%20b?q#f". */
const char *weft_url_href(const weft_url *u);
size_t weft_url_href_len(const weft_url *u);

/* Lower-case scheme without ':' ("https"). */
const char *weft_url_scheme(const weft_url *u);
/* User and password, still percent-encoded; "" when absent. */
const char *weft_url_username(const weft_url *u);
const char *weft_url_password(const weft_url *u);
/* Host as written in the URL: A-label/lower-case name, dotted-quad IPv4, or
 * bracketed canonical IPv6 ("[::1]"). "" when the URL has no host. */
const char *weft_url_host(const weft_url *u);
/* The same without IPv6 brackets: what to resolve, connect to, send as SNI
 * and match cookies against. */
const char *weft_url_hostname(const weft_url *u);
/* Effective port: the explicit one, or the scheme's default (http/ws 80,
 * https/wss 443), or -1 when neither exists. */
int weft_url_port(const weft_url *u);
/* True when the URL has a host, i.e. an authority ("//host"). */
bool weft_url_has_host(const weft_url *u);
/* Percent-encoded path, "/" at least for http(s)/ws(s). */
const char *weft_url_path(const weft_url *u);
/* Query without '?', or NULL when the URL has none ("?" alone gives ""). */
const char *weft_url_query(const weft_url *u);
/* Fragment without '#', or NULL when absent. */
const char *weft_url_fragment(const weft_url *u);

/* path[?query]: the request-target of an HTTP/1.1 request line (origin-form). */
const char *weft_url_request_target(const weft_url *u);
/* The Host header value: host, plus ":port" when the port is not the
 * scheme's default ("example.com:8080", "[::1]"). */
const char *weft_url_host_header(const weft_url *u);
/* ASCII origin "scheme://host[:port]" (default port omitted) for http(s) and
 * ws(s); "null" (an opaque origin) for every other scheme. */
const char *weft_url_origin(const weft_url *u);
/* True when both URLs have the same non-opaque origin (scheme, host, port). */
bool weft_url_same_origin(const weft_url *a, const weft_url *b);
/* True for https and wss: where Secure cookies may be sent. */
bool weft_url_is_secure(const weft_url *u);
/* True for http, https, ws and wss ("special" schemes in WHATWG terms). */
bool weft_url_is_special(const weft_url *u);

/* Default port of a scheme (lower-case), or -1. */
int weft_url_default_port(const char *scheme);

/* ------------------------------------------------------------ percent-encoding */

/* Which bytes weft_percent_encode leaves alone. */
enum weft_pct_set {
    /* Only unreserved ALPHA DIGIT - . _ ~ (encodeURIComponent-like, RFC 3986). */
    WEFT_PCT_COMPONENT = 0,
    /* Also / : @ and sub-delims: for a path built from trusted pieces. */
    WEFT_PCT_PATH = 1,
    /* application/x-www-form-urlencoded: ALPHA DIGIT * - . _ kept, space
     * becomes '+', everything else %XX (the WHATWG urlencoded serializer). */
    WEFT_PCT_FORM = 2,
};

/* Percent-encode src[0..len) into dst (capacity cap, NUL-terminated when it
 * fits), like snprintf: returns the full encoded length, which may exceed
 * cap - 1 (then dst holds a truncated prefix). Call with cap 0 to size.
 * Returns -EOVERFLOW if the result would not fit in an int, -EINVAL for an
 * unknown set. Hex digits are upper-case. */
int weft_percent_encode(const char *src, size_t len, enum weft_pct_set set,
                        char *dst, size_t cap);

/* Decode %XX escapes of src[0..len) into dst, which needs len + 1 bytes and
 * may be src itself. With plus_as_space, '+' decodes to ' ' (form data).
 * Malformed escapes ("%", "%g1") are kept literally, as browsers do, unless
 * strict is set: then they fail with WEFT_EURL. Returns the decoded length
 * (the output may hold NUL bytes; it is NUL-terminated too). */
int weft_percent_decode(const char *src, size_t len, bool plus_as_space, bool strict,
                        char *dst);

#ifdef __cplusplus
}
#endif
#endif
