/*
 * weft/common.h - error codes, time units and conventions shared by every layer.
 *
 * Every function that can fail returns an int: 0 or a positive count on
 * success, a negative errno on failure (-ECONNREFUSED), or one of weft's own
 * negative codes below, which all sit below -4096 so they never collide with
 * errno values. weft_strerror() names every code. There is no global error
 * state; objects that can say more (TLS, DNS) have an errdetail() call.
 */
#ifndef WEFT_COMMON_H
#define WEFT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0
#define WEFT_VERSION_STRING "0.1.0"

/* weft's own error codes. Ranges: generic -4100.., TLS -4200.., DNS -4300..,
 * HTTP -4400.., URL/cookie -4500.., WebSocket -4600... Never renumbered. */
enum weft_error {
    WEFT_EGENERIC_BASE       = -4100,
    WEFT_EINCOMPLETE         = -4101, /* stream ended before readexactly() got its bytes */
    WEFT_ELIMIT_OVERRUN      = -4102, /* readuntil()/readline() found no separator within the limit */
    WEFT_ECLOSED             = -4103, /* the object was closed while the call was pending */
    WEFT_ESTACK              = -4104, /* no coroutine stack could be mapped */
    WEFT_EPROTOCOL           = -4105, /* the peer broke the protocol (generic) */

    WEFT_ETLS                = -4200, /* TLS failure without a more precise code */
    WEFT_ETLS_HANDSHAKE      = -4201, /* handshake failed (no shared cipher, alert, ...) */
    WEFT_ETLS_VERIFY         = -4202, /* peer certificate did not verify (chain, expiry, name) */
    WEFT_ETLS_PROTOCOL       = -4203, /* malformed TLS record or unexpected message */
    WEFT_ETLS_NO_CLOSE_NOTIFY = -4204, /* peer closed the connection without close_notify */
    WEFT_ETLS_CONFIG         = -4205, /* bad certificate, key or option given to weft */

    WEFT_EDNS                = -4300, /* DNS failure without a more precise code */
    WEFT_EDNS_NXDOMAIN       = -4301, /* the name does not exist */
    WEFT_EDNS_NODATA         = -4302, /* the name exists but has no address of that family */
    WEFT_EDNS_TIMEOUT        = -4303, /* no server answered in time */
    WEFT_EDNS_SERVFAIL       = -4304, /* the server failed or refused */
    WEFT_EDNS_BADNAME        = -4305, /* the name is not a valid host name */

    WEFT_EHTTP_PARSE         = -4400, /* malformed HTTP message */
    WEFT_EHTTP_URI_TOO_LONG  = -4401, /* request line over its limit (414) */
    WEFT_EHTTP_HEADERS_TOO_LARGE = -4402, /* header block or count over its limit (431) */
    WEFT_EHTTP_BODY_TOO_LARGE = -4403, /* body over its limit (413) */
    WEFT_EHTTP_BAD_CHUNK     = -4404, /* malformed chunked encoding */
    WEFT_EHTTP_BAD_LENGTH    = -4405, /* invalid, duplicate or conflicting Content-Length */
    WEFT_EHTTP_BAD_TE        = -4406, /* Transfer-Encoding weft refuses (smuggling risk) */
    WEFT_EHTTP_TRUNCATED     = -4407, /* connection closed before the message ended */
    WEFT_EHTTP_BAD_STATUS    = -4408, /* malformed status line */
    WEFT_EHTTP_VERSION       = -4409, /* unsupported HTTP version (505) */
    WEFT_EHTTP_TOO_MANY_REDIRECTS = -4410,
    WEFT_EHTTP_STATUS        = -4411, /* HTTP error status where the caller asked to fail on one */
    WEFT_EHTTP_BAD_METHOD    = -4412, /* invalid method token */
    WEFT_EHTTP_BAD_FRAMING   = -4413, /* ambiguous body framing: Transfer-Encoding with
                                         Content-Length, in HTTP/1.0, chunked not last (400) */
    /* The HTTP client's own (from -4420, leaving room for the codecs'). */
    WEFT_EHTTP_CONNECT_TIMEOUT = -4420, /* DNS + connect + proxy + TLS took too long */
    WEFT_EHTTP_READ_TIMEOUT  = -4421, /* no byte from the server within the read timeout */
    WEFT_EHTTP_POOL_TIMEOUT  = -4422, /* no pool connection became free in time */
    WEFT_EHTTP_PROXY         = -4423, /* the proxy refused or broke the CONNECT tunnel */
    WEFT_EHTTP_REWIND        = -4424, /* the request body cannot be sent a second time */
    WEFT_EHTTP_DISCONNECTED  = -4425, /* the server closed the connection without answering */

    /* Content codings (weft/http_codec.h), in their own block of the HTTP range. */
    WEFT_EHTTP_CODING_UNSUPPORTED = -4450, /* a content coding weft cannot decode (415) */
    WEFT_EHTTP_CODING_CORRUPT = -4451, /* invalid compressed data, bad checksum, bytes after the end */
    WEFT_EHTTP_CODING_TRUNCATED = -4452, /* compressed data ended before its stream did */
    WEFT_EHTTP_CODING_TOO_LARGE = -4453, /* decoded size (or zstd window) over its limit */
    WEFT_EHTTP_CODING_RATIO  = -4454, /* expansion ratio over its limit: a decompression bomb */
    WEFT_EHTTP_CODING_TOO_MANY = -4455, /* more stacked codings than the limit */
    WEFT_EHTTP_CODING_NOT_ACCEPTABLE = -4456, /* Accept-Encoding refuses every coding (406) */

    WEFT_EURL                = -4500, /* malformed URL */
    WEFT_EURL_SCHEME         = -4501, /* unsupported or missing scheme */
    WEFT_EURL_HOST           = -4502, /* invalid host (IDNA, IPv6 literal, ...) */
    WEFT_EURL_PORT           = -4503, /* invalid port */
    WEFT_EURL_TOO_LONG       = -4504, /* URL longer than the configured limit */
    WEFT_ECOOKIE             = -4510, /* malformed or rejected cookie */

    WEFT_EWS_PROTOCOL        = -4600, /* WebSocket protocol violation */
    WEFT_EWS_TOO_BIG         = -4601, /* WebSocket frame or message over its limit */
};

/* A short, static, human-readable name for any return code (errno or weft). */
const char *weft_strerror(int err);

/* Times are nanoseconds on the loop's monotonic clock. */
#define WEFT_NSEC(n) ((uint64_t)(n))
#define WEFT_USEC(n) ((uint64_t)(n) * 1000u)
#define WEFT_MSEC(n) ((uint64_t)(n) * 1000000u)
#define WEFT_SEC(n)  ((uint64_t)(n) * 1000000000u)

/* "No deadline": the end of time on the loop clock. */
#define WEFT_NEVER UINT64_MAX

/* Generic callback with the user data every weft callback carries last. */
typedef void (*weft_cb)(void *ud);

/* Bytes as Python's repr() of the text shows them, for logs: quoted
 * ('hello\n', or "it's" when that needs fewer escapes), with \n \r \t \\
 * and the quote escaped, control bytes and invalid UTF-8 as \xNN, valid
 * UTF-8 kept. Writes at most size bytes (NUL included; a repr that does not
 * fit ends in ...' without splitting an escape) and returns the length
 * written, or -EINVAL if size < 8. */
int weft_repr(const void *data, size_t len, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
