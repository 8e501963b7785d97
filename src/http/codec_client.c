/*
 * codec_client.c - the content codings as the HTTP client's decoders.
 *
 * The client (src/client/decode.c) keeps a registry of decoders by name and
 * stacks them itself for "Content-Encoding: gzip, br"; this file puts the
 * four codecs in it, each a single-coding weft_codec with the default limits
 * (so every layer is bound by max_output and the expansion ratio). The
 * registration order makes the client's Accept-Encoding
 * "gzip, deflate, br, zstd" (WEFT_HTTP_ACCEPT_ENCODING).
 *
 * A constructor registers them whenever this object is linked in; with a
 * static libweft that takes a reference, so programs that want decoding call
 * weft__codec_client_register() once (weft get does; the client's session
 * should, see the note in docs/content-coding.md).
 */
#include <errno.h>
#include <pthread.h>

#include "client/client_int.h"
#include "http/codec_int.h"

static int open_coding(void **state, int coding)
{
    weft_codec *c;
    int r = weft_codec_decoder_new_codings(&coding, 1, NULL, &c);
    if (r < 0)
        return r;
    *state = c;
    return 0;
}

static int open_gzip(void **st) { return open_coding(st, WEFT_CODING_GZIP); }
static int open_deflate(void **st) { return open_coding(st, WEFT_CODING_DEFLATE); }
static int open_br(void **st) { return open_coding(st, WEFT_CODING_BR); }
static int open_zstd(void **st) { return open_coding(st, WEFT_CODING_ZSTD); }

static int decode(void *state, const char *in, size_t *inlen, char *out, size_t *outlen)
{
    int r = weft_codec_process(state, in, inlen, out, outlen, 0);
    return r == WEFT_CODEC_END ? 1 : r;
}

/* The input has ended: complete, or truncated. The client asks only once
 * the stack stopped moving, so nothing is pending here. */
static int finish(void *state)
{
    if (weft_codec_done(state))
        return 0;
    char b[1];
    size_t u = 0, m = sizeof b;
    int r = weft_codec_process(state, NULL, &u, b, &m, WEFT_CODEC_FINISH);
    if (r == WEFT_CODEC_END)
        return m ? WEFT_EHTTP_CODING_CORRUPT : 0; /* output would be lost: never */
    return r < 0 ? r : WEFT_EHTTP_CODING_TRUNCATED;
}

static void close_coding(void *state)
{
    weft_codec_free(state);
}

static const struct weft__hc_decoder_ops ops[] = {
    { "gzip", open_gzip, decode, finish, close_coding },
    { "deflate", open_deflate, decode, finish, close_coding },
    { "br", open_br, decode, finish, close_coding },
    { "zstd", open_zstd, decode, finish, close_coding },
};

static void register_all(void)
{
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        weft__hc_register_decoder(&ops[i]);
}

void weft__codec_client_register(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_all);
}

__attribute__((constructor)) static void register_at_start(void)
{
    weft__codec_client_register();
}
