/*
 * codec_int.h - what the content-coding core (codec.c) asks of each library
 * (codec_zlib.c, codec_brotli.c, codec_zstd.c).
 *
 * A codec is a chain of stages. A stage wraps one library stream in one
 * direction and moves bytes from an input run to an output run; the core
 * stacks decoding stages, applies the limits and keeps the public contract.
 */
#ifndef WEFT_HTTP_CODEC_INT_H
#define WEFT_HTTP_CODEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "weft/http_codec.h"

/* What an encoder is asked to do with the input of one run. Ordered: a
 * pending FLUSH may be raised to FINISH, never lowered. */
enum { WEFT__OP_RUN = 0, WEFT__OP_FLUSH = 1, WEFT__OP_FINISH = 2 };

typedef struct weft__codec_stage weft__codec_stage;

typedef struct weft__codec_ops {
    /* Set up the library stream (level and limits are in the stage).
     * 0, -ENOMEM or -EINVAL. */
    int (*init)(weft__codec_stage *s);
    /* Move bytes: *inlen in / used, *outlen room / written.
     * Decoders ignore op and return 1 when the coded stream has ended (and
     * keep returning 1 while no input comes), 0 otherwise. A decoder handed
     * input after its end starts the next gzip member or zstd frame, or
     * fails with WEFT_EHTTP_CODING_CORRUPT. It returns early only with its
     * output full, so input left over means the output was full.
     * Encoders return 1 when op is complete for this input: all of it used
     * and, for FLUSH, everything emitted, for FINISH, the stream ended.
     * Errors are WEFT_EHTTP_CODING_* or -ENOMEM, with s->detail set. */
    int (*run)(weft__codec_stage *s, const uint8_t *in, size_t *inlen, uint8_t *out,
               size_t *outlen, int op);
    /* Back to a fresh stream, keeping memory where the library allows. */
    int (*reset)(weft__codec_stage *s);
    /* Release the library stream. Safe on a stage whose init failed. */
    void (*end)(weft__codec_stage *s);
} weft__codec_ops;

struct weft__codec_stage {
    const weft__codec_ops *ops;
    int coding;                 /* enum weft_coding */
    int level;                  /* encoders: the library's level */
    unsigned window_log_max;    /* zstd decoder */
    bool ended;                 /* decoder: stream ended; encoder: finished */
    bool live;                  /* the library stream is initialised */
    /* deflate decoder: zlib and raw deflate are told apart by the first two
     * bytes, held here until both have come */
    bool detected;
    uint8_t hdr[2];
    uint8_t nhdr, hdr_off;      /* bytes held, bytes already fed */
    union {
        z_stream z;
        void *p;                /* BrotliDecoderState *, ZSTD_DCtx *, ... */
    } u;
    /* zlib encoder: zlib repeats flush markers into an output of six bytes
     * or less, so a flush into a small room goes through this buffer */
    uint8_t zpend[64];
    uint8_t zp_head, zp_tail;
    bool z_finished;            /* Z_STREAM_END seen, maybe not all delivered */
    const char *detail;         /* static text from the library, or "" */
    uint64_t total_out;         /* what this stage produced (ratio check) */
    /* output waiting for the next stage of a decoding stack: buf[head, tail) */
    uint8_t *buf;
    size_t head, tail;
};

/* Size of the buffer between two stacked decoding stages. */
#define WEFT__CODEC_STAGE_BUF (16u * 1024)

/* The library of each coding, one direction each. */
extern const weft__codec_ops weft__gzip_decoder, weft__deflate_decoder, weft__zlib_encoder;
extern const weft__codec_ops weft__br_decoder, weft__br_encoder;
extern const weft__codec_ops weft__zstd_decoder, weft__zstd_encoder;

/* The default level of each coding's encoder, and its valid range. */
int weft__codec_level_default(int coding);
bool weft__codec_level_valid(int coding, int level);

/* Register the codecs as the HTTP client's decoders (codec_client.c);
 * idempotent, any thread. */
void weft__codec_client_register(void);

#endif
