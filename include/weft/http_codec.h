/*
 * weft/http_codec.h - HTTP content codings (RFC 9110 §8.4): gzip, deflate,
 * br and zstd, streaming both ways. No I/O.
 *
 * The client decodes what a server sent with Content-Encoding; the server's
 * compression middleware encodes with the coding it picked from the request's
 * Accept-Encoding. Both use one object, a weft_codec, fed input chunks and
 * handed output buffers: every call is bounded by the output room it is given,
 * so a small compressed input can never make one call allocate or write more
 * than the caller offered.
 *
 * A decoder defends against decompression bombs with two limits, both
 * settable: a maximum decoded size and a maximum expansion ratio (decoded
 * bytes per wire byte, checked once past a grace size so that a short but
 * very compressible body still passes). Truncated or corrupt input is an
 * error, never a silently short body.
 *
 *     weft_codec *d;
 *     int r = weft_codec_decoder_new(ce_value, ce_len, NULL, &d);  // "gzip, br"
 *     if (r < 0) ...   // WEFT_EHTTP_CODING_UNSUPPORTED: answer / fail cleanly
 *     for each body chunk (in, n), last = whether it is the body's end:
 *         do {
 *             size_t used = n, got = sizeof out;
 *             r = weft_codec_process(d, in, &used, out, &got, last ? WEFT_CODEC_FINISH : 0);
 *             if (r < 0) ...   // corrupt, truncated, bomb: weft_strerror(r)
 *             deliver(out, got);
 *             in += used, n -= used;
 *         } while (got == sizeof out || n > 0);   // full output: more may be pending
 *     weft_codec_free(d);
 *
 * docs/content-coding.md describes the model, the limits and what is refused.
 */
#ifndef WEFT_HTTP_CODEC_H
#define WEFT_HTTP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------------- codings */

/* The content codings weft implements. */
enum weft_coding {
    WEFT_CODING_IDENTITY = 0, /* no coding */
    WEFT_CODING_GZIP,         /* RFC 1952 (members may be concatenated) */
    WEFT_CODING_DEFLATE,      /* RFC 1950 zlib; raw RFC 1951 accepted on decode */
    WEFT_CODING_BR,           /* RFC 7932 Brotli */
    WEFT_CODING_ZSTD,         /* RFC 8878 Zstandard, window <= 8 MiB (RFC 9659) */
};
#define WEFT_CODING_COUNT 5

/* The token of a coding as it appears in headers ("gzip"), or NULL for a
 * value that is not an enum weft_coding. */
const char *weft_coding_name(int coding);

/* The coding named by a token (ASCII case-insensitive; "x-gzip" is gzip, as
 * RFC 9110 §8.4.1.3 asks). Returns the enum weft_coding value (>= 0), or
 * WEFT_EHTTP_CODING_UNSUPPORTED for anything else ("compress", "exi", ""). */
int weft_coding_from_name(const char *name, size_t len);

/* What a client sends by default: every coding it can decode, in the order
 * browsers list them. */
#define WEFT_HTTP_ACCEPT_ENCODING "gzip, deflate, br, zstd"

/* ----------------------------------------------------------- Accept-Encoding */

/* The weight (q-value, RFC 9110 §12.4.2) a request's Accept-Encoding gives
 * coding, in thousandths: 0 (refused) .. 1000. value NULL means the header
 * is absent: every coding weighs 1000. An explicit entry wins over "*";
 * identity not listed and not covered by "*" weighs 1000 (acceptable unless
 * excluded). Elements that do not parse (bad token, q=1.5, q=abc) are
 * skipped, as servers do, so a hostile header can only refuse codings. */
int weft_accept_encoding_q(const char *value, size_t len, int coding);

/* Pick the coding for a response. prefs lists the codings the server is
 * willing to apply, most preferred first (NULL: WEFT_CODING_ZSTD, _BR, _GZIP,
 * which is the default preference; deflate is left out because old clients
 * disagree on what it means). The coding with the highest weight > 0 wins;
 * ties go to the server's order. Returns:
 *   an enum weft_coding (WEFT_CODING_IDENTITY when none of prefs is wanted,
 *     when the header is absent or empty (RFC 9110: an empty value asks for
 *     no coding), and identity is acceptable);
 *   WEFT_EHTTP_CODING_NOT_ACCEPTABLE when nothing is: identity;q=0 or
 *     *;q=0 with no acceptable coding left (a server may answer 406, or send
 *     identity anyway, as most do). */
int weft_accept_encoding_select(const char *value, size_t len, const int *prefs, size_t nprefs);

/* True when a response of this media type (a Content-Type value; parameters
 * ignored) is worth compressing: text/ (any), JSON, JavaScript, XML and its
 * +xml/+json kin, SVG, WebAssembly, and a few fonts. Images, audio, video
 * and archives are already compressed. NULL/empty is false. */
bool weft_coding_compressible(const char *content_type, size_t len);

/* ------------------------------------------------------------------- limits */

/* Limits of a decoder. Fill with weft_codec_limits_init() and change what you
 * need; the decoder copies them. They apply to the decoder as a whole (all
 * its stacked codings): bytes in are wire bytes, bytes out decoded bytes. */
typedef struct weft_codec_limits {
    uint64_t max_output;  /* decoded bytes in total; default 1 GiB, UINT64_MAX
                             for none. Over it: WEFT_EHTTP_CODING_TOO_LARGE */
    uint32_t max_ratio;   /* decoded bytes per wire byte, for the output and
                             for each intermediate stage of a stack; default
                             1000 (gzip cannot exceed ~1032, so only a bomb
                             or zeros pass it); 0 for none. Over it:
                             WEFT_EHTTP_CODING_RATIO */
    uint64_t ratio_grace; /* the ratio is checked only once this many bytes
                             have come out; default 1 MiB */
    unsigned max_layers;  /* stacked codings in one Content-Encoding; default
                             5 (as curl). Over it: WEFT_EHTTP_CODING_TOO_MANY */
    unsigned zstd_window_log_max; /* largest zstd window accepted, log2 bytes;
                             default 23 (8 MiB, the cap of RFC 9659 that
                             browsers enforce), at most 31. A frame asking for
                             more: WEFT_EHTTP_CODING_TOO_LARGE */
} weft_codec_limits;

#define WEFT_CODEC_DEFAULT_MAX_OUTPUT  (1024ull * 1024 * 1024)
#define WEFT_CODEC_DEFAULT_MAX_RATIO   1000u
#define WEFT_CODEC_DEFAULT_RATIO_GRACE (1024u * 1024)
#define WEFT_CODEC_DEFAULT_MAX_LAYERS  5u
#define WEFT_CODEC_MAX_LAYERS          16u /* hard cap on max_layers */
#define WEFT_CODEC_DEFAULT_ZSTD_WINDOW_LOG 23u

/* Fill *l with the defaults above. */
void weft_codec_limits_init(weft_codec_limits *l);

/* ------------------------------------------------------------------ codecs */

typedef struct weft_codec weft_codec;

/* A decoder for a Content-Encoding field value: a comma-separated list of
 * codings in the order they were applied, so "gzip, br" is decoded by br
 * first, then gzip (RFC 9110 §8.4). Tokens are case-insensitive; "identity"
 * and empty elements are skipped; a value with no coding left gives a
 * pass-through decoder (still bound by max_output). limits may be NULL.
 * Returns 0, WEFT_EHTTP_CODING_UNSUPPORTED (a coding weft cannot decode),
 * WEFT_EHTTP_CODING_TOO_MANY (more than max_layers), -EINVAL (bad limits) or
 * -ENOMEM. The decoder belongs to the caller until weft_codec_free(). */
int weft_codec_decoder_new(const char *content_encoding, size_t len,
                           const weft_codec_limits *limits, weft_codec **out);

/* The same for a list of enum weft_coding values, in the order applied. */
int weft_codec_decoder_new_codings(const int *codings, size_t n, const weft_codec_limits *limits,
                                   weft_codec **out);

/* An encoder for one coding. level is the coding's own scale (gzip/deflate
 * 0..9, br 0..11, zstd 1..19), or WEFT_CODEC_LEVEL_DEFAULT: 6 for gzip and
 * deflate (zlib's default), 5 for br and 3 for zstd, the fast settings web
 * servers use for dynamic content. Out of range is -EINVAL; identity is an
 * encoder that copies. deflate writes the zlib format RFC 9110 specifies;
 * zstd writes frames with a content checksum and a window of at most 8 MiB.
 * Returns 0, -EINVAL or -ENOMEM. */
int weft_codec_encoder_new(int coding, int level, weft_codec **out);
#define WEFT_CODEC_LEVEL_DEFAULT (-1)

/* Free the codec and its library state. NULL is a no-op. */
void weft_codec_free(weft_codec *c);

/* Make the codec ready for another stream with the same codings, limits and
 * level, reusing its memory (a server encodes response after response). */
void weft_codec_reset(weft_codec *c);

/* Flags of weft_codec_process. */
#define WEFT_CODEC_FLUSH  0x1u /* encoder: emit everything fed so far, so the
                                  peer can decode it now (a streamed response,
                                  server-sent events); costs a few bytes */
#define WEFT_CODEC_FINISH 0x2u /* this is the last input: an encoder writes its
                                  trailer; a decoder whose stream has not
                                  ended is WEFT_EHTTP_CODING_TRUNCATED */

/* Returned by weft_codec_process when the stream is complete. */
#define WEFT_CODEC_END 1

/* Feed input, take output. *inlen: bytes at in, on return how many were
 * used; *outlen: room at out, on return how many bytes were written there.
 * in may be NULL when *inlen is 0.
 *
 * Returns
 *   0              progress; if *outlen came back smaller than the room
 *                  given, all input was used and nothing is pending (feed
 *                  more); if the output is full, call again (more may be
 *                  pending, or input is left);
 *   WEFT_CODEC_END the stream is complete and everything is delivered. A
 *                  decoder says so as soon as the coded data ends (a gzip
 *                  member, a zstd frame: more bytes after it start another,
 *                  as the gzip and zstd tools accept; any other byte after
 *                  the end is corrupt); an identity decoder and an encoder
 *                  say so only after WEFT_CODEC_FINISH. An encoder then
 *                  refuses input (-EINVAL) until weft_codec_reset();
 *   an error, after which the codec keeps failing with it:
 *     WEFT_EHTTP_CODING_CORRUPT    not valid data of the coding, a checksum
 *                                  mismatch, or bytes after its end
 *     WEFT_EHTTP_CODING_TRUNCATED  FINISH before the coded data ended
 *     WEFT_EHTTP_CODING_TOO_LARGE  over max_output, or a zstd window over
 *                                  zstd_window_log_max
 *     WEFT_EHTTP_CODING_RATIO      expansion over max_ratio (a bomb)
 *     -ENOMEM                      the library could not allocate
 * What was written to out before an error is still in *outlen. */
int weft_codec_process(weft_codec *c, const void *in, size_t *inlen, void *out, size_t *outlen,
                       unsigned flags);

/* True once the stream is complete (the last call returned WEFT_CODEC_END). */
bool weft_codec_done(const weft_codec *c);

/* Wire bytes and decoded bytes so far: for a decoder, in = compressed; for
 * an encoder, in = plain. Reset by weft_codec_reset. */
uint64_t weft_codec_total_in(const weft_codec *c);
uint64_t weft_codec_total_out(const weft_codec *c);

/* The codings of the codec, in the order applied (a decoder of "gzip, br"
 * gives GZIP then BR); returns how many (0 for identity), storing at most
 * max in out. */
size_t weft_codec_codings(const weft_codec *c, int *out, size_t max);

/* What the library said about the last error ("incorrect header check",
 * "Corrupted block detected"), or "" when there is nothing more to say.
 * Owned by the codec. */
const char *weft_codec_errdetail(const weft_codec *c);

/* ---------------------------------------------------------------- one-shot */

/* Decode a whole body in memory. *out is malloc'ed (the caller frees it,
 * also after an error: NULL then) and NUL-terminated for convenience (the
 * NUL is not counted in *outlen). Errors as weft_codec_decoder_new and
 * weft_codec_process; the input must hold the complete stream. */
int weft_http_decode(const char *content_encoding, size_t celen, const void *in, size_t len,
                     const weft_codec_limits *limits, void **out, size_t *outlen);

/* Encode a whole body in memory with one coding; *out as above. */
int weft_http_encode(int coding, int level, const void *in, size_t len, void **out,
                     size_t *outlen);

#ifdef __cplusplus
}
#endif
#endif
