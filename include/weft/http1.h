/*
 * weft/http1.h - HTTP/1.1 message parser and chunked codec (RFC 9112). No I/O.
 *
 * The parser is incremental and zero-copy: the caller feeds the bytes it has
 * read so far, always from the start of the message, and the parser answers
 * -EAGAIN (need more), a WEFT_EHTTP_* error, or the length of the complete
 * head. Every field it returns is a slice into the caller's buffer, so the
 * buffer must outlive the parsed message. Between calls the parser remembers
 * which lines it has already checked, so a head that arrives one byte at a
 * time costs O(length), not O(length^2).
 *
 * It is strict on purpose: whatever two parsers could read differently is a
 * request-smuggling hole, so anything ambiguous is an error, never a guess.
 * docs/http1-parser.md lists what is rejected and why.
 *
 *     weft_h1_parser p;
 *     weft_h1_request req;
 *     weft_h1_header hdrs[64];
 *     weft_h1_parser_init(&p, NULL);
 *     for (;;) {
 *         ... append what the socket gave to buf[0..len) ...
 *         int n = weft_h1_parse_request(&p, buf, len, &req, hdrs, 64);
 *         if (n == -EAGAIN) continue;              // read more, call again
 *         if (n < 0) { answer weft_h1_error_status(n) and close; }
 *         ... the head is buf[0..n); the body follows per req.body ...
 *     }
 */
#ifndef WEFT_HTTP1_H
#define WEFT_HTTP1_H

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed run of bytes, not NUL-terminated. ptr is NULL when the thing it
 * names is absent (no query, no Host header), non-NULL when present but empty. */
typedef struct weft_h1_slice {
    const char *ptr;
    size_t len;
} weft_h1_slice;

/* One header field line, in the order received. The value has its leading
 * and trailing spaces/tabs removed; the name keeps the sender's case. */
typedef struct weft_h1_header {
    weft_h1_slice name;
    weft_h1_slice value;
} weft_h1_header;

/* Limits. Fill with weft_h1_limits_init() and change what you need; the
 * parser copies them at init. Each limit maps to the status a server sends. */
typedef struct weft_h1_limits {
    size_t max_request_line; /* request/status line without CRLF; default 8 KiB,
                                minimum 64. Over it: WEFT_EHTTP_URI_TOO_LONG
                                (414) for requests, _HEADERS_TOO_LARGE for
                                responses */
    size_t max_head;         /* whole head: leading empty lines, start line,
                                fields and the final CRLF; default 64 KiB.
                                Over it: WEFT_EHTTP_HEADERS_TOO_LARGE (431) */
    size_t max_headers;      /* field lines; default 100, also capped by the
                                caller's array. Over it: _HEADERS_TOO_LARGE */
    uint64_t max_body;       /* declared Content-Length and decoded chunked
                                total; default 1 MiB (a server's default: a
                                client fetching files raises it), UINT64_MAX
                                for none. Over it: _BODY_TOO_LARGE (413) */
    size_t max_chunk_ext;    /* chunk-extension bytes on one chunk-size line;
                                default 1 KiB. Over it: _BAD_CHUNK */
    size_t max_trailers;     /* trailer section bytes; default 8 KiB.
                                Over it: _HEADERS_TOO_LARGE */
} weft_h1_limits;

#define WEFT_H1_DEFAULT_MAX_REQUEST_LINE (8u * 1024)
#define WEFT_H1_DEFAULT_MAX_HEAD         (64u * 1024)
#define WEFT_H1_DEFAULT_MAX_HEADERS      100u
#define WEFT_H1_DEFAULT_MAX_BODY         (1024u * 1024)
#define WEFT_H1_DEFAULT_MAX_CHUNK_EXT    1024u
#define WEFT_H1_DEFAULT_MAX_TRAILERS     (8u * 1024)

/* Fill *l with the defaults above. */
void weft_h1_limits_init(weft_h1_limits *l);

/* Methods the parser recognises (case-sensitive, as RFC 9110 §9.1 says). */
enum weft_h1_method {
    WEFT_H1_METHOD_OTHER = 0, /* a valid token that is none of these */
    WEFT_H1_METHOD_GET,
    WEFT_H1_METHOD_HEAD,
    WEFT_H1_METHOD_POST,
    WEFT_H1_METHOD_PUT,
    WEFT_H1_METHOD_DELETE,
    WEFT_H1_METHOD_CONNECT,
    WEFT_H1_METHOD_OPTIONS,
    WEFT_H1_METHOD_TRACE,
    WEFT_H1_METHOD_PATCH,
};

/* The four request-target forms of RFC 9112 §3.2. */
enum weft_h1_target_form {
    WEFT_H1_FORM_ORIGIN = 0, /* /path?query (every method but CONNECT) */
    WEFT_H1_FORM_ABSOLUTE,   /* http://host/path?query (to proxies) */
    WEFT_H1_FORM_AUTHORITY,  /* host:port (CONNECT only) */
    WEFT_H1_FORM_ASTERISK,   /* * (OPTIONS only) */
};

/* How the body that follows the head is delimited (RFC 9112 §6.3). */
enum weft_h1_body {
    WEFT_H1_BODY_NONE = 0, /* no body: the next message starts right after the head */
    WEFT_H1_BODY_LENGTH,   /* exactly content_length bytes (may be 0) */
    WEFT_H1_BODY_CHUNKED,  /* chunked: feed it to weft_h1_chunked_decode() */
    WEFT_H1_BODY_CLOSE,    /* response only: everything until the server closes */
};

/* Message flags. */
#define WEFT_H1_F_KEEP_ALIVE      0x01u /* the connection may carry another message */
#define WEFT_H1_F_EXPECT_CONTINUE 0x02u /* request: HTTP/1.1 with Expect: 100-continue */
#define WEFT_H1_F_EXPECT_OTHER    0x04u /* request: an Expect value other than
                                           100-continue (a server may answer 417) */
#define WEFT_H1_F_UPGRADE         0x08u /* request: Upgrade plus Connection: upgrade;
                                           response: status 101 */
#define WEFT_H1_F_TUNNEL          0x10u /* response: 2xx to CONNECT; the connection
                                           is a raw tunnel after the head */
#define WEFT_H1_F_TE_CODED        0x20u /* response: a transfer coding other than
                                           chunked (gzip...) was applied to the body */

/* A parsed request head. Filled only when parsing succeeds (or fails with
 * WEFT_EHTTP_BODY_TOO_LARGE, when the head itself was fine). */
typedef struct weft_h1_request {
    weft_h1_slice method;       /* the method token as sent */
    int method_id;              /* enum weft_h1_method */
    weft_h1_slice target;       /* the whole request-target */
    int form;                   /* enum weft_h1_target_form */
    weft_h1_slice authority;    /* host[:port] of absolute- and authority-form,
                                   else ptr NULL */
    weft_h1_slice path;         /* origin/absolute-form: up to '?' (may be empty
                                   in absolute-form: treat as "/"); asterisk: "*";
                                   authority-form: ptr NULL */
    weft_h1_slice query;        /* after '?', ptr NULL when there is no '?' */
    int version;                /* minor version: 0 (HTTP/1.0) or 1 (HTTP/1.1) */
    weft_h1_slice host;         /* Host header value, ptr NULL if absent (1.0) */
    weft_h1_header *headers;    /* the caller's array, nheaders of it used */
    size_t nheaders;
    int body;                   /* enum weft_h1_body: NONE, LENGTH or CHUNKED */
    uint64_t content_length;    /* for WEFT_H1_BODY_LENGTH, else 0 */
    unsigned flags;             /* WEFT_H1_F_* */
} weft_h1_request;

/* A parsed response head; same rules as weft_h1_request. */
typedef struct weft_h1_response {
    int version;                /* minor version: 0 or 1 */
    int status;                 /* 100..999 */
    weft_h1_slice reason;       /* may be empty */
    weft_h1_header *headers;
    size_t nheaders;
    int body;                   /* enum weft_h1_body */
    uint64_t content_length;    /* for WEFT_H1_BODY_LENGTH, else 0 */
    unsigned flags;             /* WEFT_H1_F_* */
} weft_h1_response;

/* Parser state between calls. Embed it (in a connection, say); its fields
 * are private. Costs no allocation and needs no free. */
typedef struct weft_h1_parser {
    weft_h1_limits lim;
    /* private: where the previous call stopped */
    const char *_base;          /* the buffer the saved offsets refer to */
    const weft_h1_header *_hdrs;/* the header array the saved fields are in */
    size_t _line;               /* start of the first line not yet accepted */
    size_t _scanned;            /* no LF in [_line, _scanned) */
    size_t _nhdr;               /* field lines accepted so far */
    size_t _start_off;          /* start line: offset (after empty lines) */
    size_t _start_len;          /* start line: length, 0 until accepted */
    size_t _f1, _f2;            /* start line: method end / target end, or
                                   reason start / reason end, from _start_off */
    size_t _host_off, _host_len;/* Host value */
    uint64_t _clen;             /* Content-Length */
    unsigned _seen;             /* framing fields seen (private bits) */
    unsigned _flags;            /* WEFT_H1_F_* gathered so far */
    int _version, _status, _method, _form;
} weft_h1_parser;

/* Make a parser ready for a first message. l may be NULL for the defaults;
 * it is copied. */
void weft_h1_parser_init(weft_h1_parser *p, const weft_h1_limits *l);

/* Forget a half-parsed message (the parser does this itself after any
 * return other than -EAGAIN, so it is needed only to abandon one). */
void weft_h1_parser_reset(weft_h1_parser *p);

/* Parse the request head at the start of buf[0..len).
 *
 * hdrs/max_hdrs is the caller's array for the field lines; fewer slots than
 * limits.max_headers lowers that limit. Call again with the same buf (it may
 * have grown, and its first bytes must be unchanged) and the same hdrs after
 * -EAGAIN; if buf moved (realloc), the parser notices and starts over, which
 * is correct but rescans.
 *
 * Returns the head's length (> 0): the body or the next message starts at
 * buf + that; -EAGAIN: the head is not complete yet and no limit is crossed;
 * or an error (answer with weft_h1_error_status()):
 *   WEFT_EHTTP_PARSE            malformed line, bad field, Host missing/repeated
 *   WEFT_EHTTP_BAD_METHOD       the method is not a token (or over 32 bytes)
 *   WEFT_EHTTP_VERSION          a well-formed version other than 1.0/1.1
 *   WEFT_EHTTP_URI_TOO_LONG     request line over max_request_line
 *   WEFT_EHTTP_HEADERS_TOO_LARGE head over max_head or too many fields
 *   WEFT_EHTTP_BAD_LENGTH       bad or repeated Content-Length
 *   WEFT_EHTTP_BAD_TE           a transfer coding other than chunked (501)
 *   WEFT_EHTTP_BAD_FRAMING      Transfer-Encoding with Content-Length, in
 *                               HTTP/1.0, or chunked not alone
 *   WEFT_EHTTP_BODY_TOO_LARGE   Content-Length over max_body (*req is filled)
 * An error depends only on the bytes, never on how they were split into
 * calls: feeding the same bytes in any pieces gives the same final answer. */
int weft_h1_parse_request(weft_h1_parser *p, const char *buf, size_t len,
                          weft_h1_request *req, weft_h1_header *hdrs, size_t max_hdrs);

/* Parse a response head, same contract. req_method (enum weft_h1_method) is
 * the method of the request it answers: HEAD responses and 2xx to CONNECT
 * have no body. A 1xx other than 101 is an interim response: parse the next
 * head after it. Errors as for requests, with WEFT_EHTTP_BAD_STATUS for a
 * malformed status line and _HEADERS_TOO_LARGE for an over-long one. */
int weft_h1_parse_response(weft_h1_parser *p, const char *buf, size_t len, int req_method,
                           weft_h1_response *resp, weft_h1_header *hdrs, size_t max_hdrs);

/* ------------------------------------------------------------------ helpers */

/* Index of the first header at or after `from` named `name` (ASCII case
 * insensitive), or -1. Loop with from = previous index + 1 for repeats. */
int weft_h1_header_find(const weft_h1_header *hdrs, size_t n, const char *name, size_t from);

/* True when s equals the NUL-terminated lit, ASCII case-insensitively. */
bool weft_h1_slice_ieq(weft_h1_slice s, const char *lit);

/* True when the comma-separated list in v (a Connection or Upgrade value,
 * say) has an element equal to token, case-insensitively. */
bool weft_h1_list_has(weft_h1_slice v, const char *token);

/* The status a server should answer a parse or body error with: 400, 413,
 * 414, 431, 501 or 505; 0 for codes that are not HTTP parse errors. */
int weft_h1_error_status(int err);

/* ------------------------------------------------------------------ chunked */

/* Chunked decoder state (RFC 9112 §7.1); fields private. Chunk extensions
 * are checked and skipped; trailer fields are checked and skipped (a caller
 * that needs them should not ask a chunked body for them: nobody sends them). */
typedef struct weft_h1_chunked {
    uint64_t _left;             /* data bytes left in the current chunk */
    uint64_t _total;            /* decoded so far, against _max_body */
    uint64_t _max_body;
    size_t _max_ext, _max_trailers;
    size_t _count;              /* bytes in the current size line / trailer section */
    uint8_t _state;
    uint8_t _digits;            /* hex digits of the current size */
} weft_h1_chunked;

/* Make a decoder ready for one body; l may be NULL (defaults). */
void weft_h1_chunked_init(weft_h1_chunked *c, const weft_h1_limits *l);

/* Decode in place. On entry buf[0..*len) holds the next wire bytes of the
 * body; on return buf[0..*len) holds the body bytes they carried (never more
 * than went in). Returns -EAGAIN when all input was used and the body is not
 * finished (call again with the next bytes; the decoder keeps its place), an
 * error (WEFT_EHTTP_BAD_CHUNK, _BODY_TOO_LARGE, _HEADERS_TOO_LARGE for the
 * trailers), or, when the last chunk and trailers ended, the number of bytes
 * that came after them (the next message), moved to buf[*len..*len + ret).
 * After an error the decoder keeps failing; init it for another body. */
int weft_h1_chunked_decode(weft_h1_chunked *c, char *buf, size_t *len);

/* Decode into another buffer. *inlen: bytes available at in, on return the
 * bytes used; *outlen: room at out, on return the bytes written. Returns 0
 * when the body ended (the next message is at in + *inlen), -EAGAIN when it
 * needs more input or more room, or an error as above. out may equal in. */
int weft_h1_chunked_decode_to(weft_h1_chunked *c, const char *in, size_t *inlen,
                              char *out, size_t *outlen);

/* True once the decoder has seen the end of the body. */
bool weft_h1_chunked_done(const weft_h1_chunked *c);

/* Encoding. A chunk is weft_h1_chunk_header(size), the size data bytes, then
 * "\r\n"; the body ends with WEFT_H1_CHUNK_LAST (last chunk, no trailers). */
#define WEFT_H1_CHUNK_HEADER_MAX 18 /* 16 hex digits + CRLF */
#define WEFT_H1_CHUNK_LAST "0\r\n\r\n"

/* Write "<hex size>\r\n" to out (room for WEFT_H1_CHUNK_HEADER_MAX bytes, no
 * NUL written); returns its length. size 0 writes "0\r\n": the last chunk,
 * which the caller follows with trailers or "\r\n". */
size_t weft_h1_chunk_header(char *out, uint64_t size);

#ifdef __cplusplus
}
#endif
#endif
