/*
 * test_chunked.c - the chunked decoder (in place and into a buffer, whole,
 * split at every byte, byte by byte) and the chunk-header encoder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weft_test.h"
#include "weft/http1.h"

/* Decode wire[0..n) fed in the pieces [0,k) and [k,n), each decoded in place
 * in its own exact-size heap copy. Appends the body to out; returns the
 * final result and, when done, the bytes after the body in *rest. */
static int decode_split(const char *wire, size_t n, size_t k, const weft_h1_limits *l,
                        char *out, size_t *outlen, char *rest, size_t *restlen)
{
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, l);
    size_t bounds[3] = { 0, k, n };
    int r = -EAGAIN;
    *outlen = 0;
    *restlen = 0;
    for (int i = 0; i < 2 && r == -EAGAIN; i++) {
        size_t len = bounds[i + 1] - bounds[i];
        char *piece = malloc(len ? len : 1);
        memcpy(piece, wire + bounds[i], len);
        r = weft_h1_chunked_decode(&c, piece, &len);
        assert_true(len <= bounds[i + 1] - bounds[i]);
        memcpy(out + *outlen, piece, len);
        *outlen += len;
        if (r >= 0) {
            assert_true(weft_h1_chunked_done(&c));
            /* What follows the body: this piece's rest plus any unfed piece. */
            memcpy(rest, piece + len, (size_t)r);
            *restlen = (size_t)r;
            memcpy(rest + *restlen, wire + bounds[i + 1], n - bounds[i + 1]);
            *restlen += n - bounds[i + 1];
            r = 0;
        }
        free(piece);
    }
    return r;
}

/* Decode every way (whole, every split, byte by byte) and check all agree;
 * returns the result and leaves the body in out. */
static int decode_all(const char *wire, size_t n, const weft_h1_limits *l, char *out,
                      size_t *outlen, char *rest, size_t *restlen)
{
    char *o2 = malloc(n + 1), *r2 = malloc(n + 1);
    size_t ol2, rl2;
    int whole = decode_split(wire, n, n, l, out, outlen, rest, restlen);
    for (size_t k = 0; k <= n; k++) {
        int r = decode_split(wire, n, k, l, o2, &ol2, r2, &rl2);
        assert_int_equal(r, whole);
        if (r == 0) {
            assert_int_equal(ol2, *outlen);
            assert_memory_equal(o2, out, ol2);
            assert_int_equal(rl2, *restlen);
            assert_memory_equal(r2, rest, rl2);
        }
    }
    /* Byte by byte through decode_to, one byte of room at a time. */
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, l);
    size_t got = 0, i = 0;
    int r = -EAGAIN;
    while (i < n && r == -EAGAIN) {
        size_t in = 1, room = 1;
        r = weft_h1_chunked_decode_to(&c, wire + i, &in, o2 + got, &room);
        i += in;
        got += room;
    }
    if (r == -EAGAIN && whole != -EAGAIN)
        fail_msg("byte-by-byte decode stopped at %zu of %zu", i, n);
    assert_int_equal(r, whole);
    if (r == 0) {
        assert_int_equal(got, *outlen);
        assert_memory_equal(o2, out, got);
        assert_int_equal(n - i, *restlen);
    }
    free(o2);
    free(r2);
    return whole;
}

#define DECODES(name, wire, body, after)                                        \
    static void name(void **state)                                              \
    {                                                                           \
        (void)state;                                                            \
        char out[512], rest[512];                                               \
        size_t ol, rl;                                                          \
        assert_int_equal(decode_all(wire, sizeof(wire) - 1, NULL, out, &ol, rest, &rl), 0); \
        assert_int_equal(ol, sizeof(body) - 1);                                 \
        assert_memory_equal(out, body, ol);                                     \
        assert_int_equal(rl, sizeof(after) - 1);                                \
        assert_memory_equal(rest, after, rl);                                   \
    }

#define REJECTS(name, wire, err)                                                \
    static void name(void **state)                                              \
    {                                                                           \
        (void)state;                                                            \
        char out[512], rest[512];                                               \
        size_t ol, rl;                                                          \
        assert_int_equal(decode_all(wire, sizeof(wire) - 1, NULL, out, &ol, rest, &rl), err); \
    }

DECODES(one_chunk, "5\r\nhello\r\n0\r\n\r\n", "hello", "")
DECODES(several_chunks, "5\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n", "hello 0123456789", "")
DECODES(hex_case_and_leading_zeros, "0000A\r\n0123456789\r\n00b\r\nabcdefghijk\r\n0\r\n\r\n",
        "0123456789abcdefghijk", "")
DECODES(zero_chunk_only, "0\r\n\r\n", "", "")
DECODES(extensions_skipped, "5;name=value\r\nhello\r\n3;a;b=\"q s\"\r\nabc\r\n0;last\r\n\r\n", "helloabc", "")
DECODES(extension_after_bws, "5 ;x\r\nhello\r\n0\t; y\r\n\r\n", "hello", "")
DECODES(trailers_skipped, "3\r\nabc\r\n0\r\nX-Sum: 123\r\nY:\r\n\r\n", "abc", "")
DECODES(next_message_kept, "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "abc", "GET / HTTP/1.1\r\n")
DECODES(crlf_in_data_is_data, "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", "")

REJECTS(reject_empty_size, "\r\nabc\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_bad_hex, "g\r\nabc\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_0x_prefix, "0x5\r\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_negative, "-5\r\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_plus, "+5\r\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_leading_space, " 5\r\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_trailing_space_no_ext, "5 \r\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_17_hex_digits, "00000000000000005\r\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_overflow, "10000000000000000\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_size_bare_lf, "5\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_size_bare_cr, "5\rhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_data_too_long, "5\r\nhelloX\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_data_bare_lf, "5\r\nhello\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_data_missing_crlf, "5\r\nhello0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_ext_ctl, "5;a\x01\r\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_ext_bare_lf, "5;a\nhello\r\n0\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_last_bare_lf, "0\r\n\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_trailer_obs_fold, "0\r\nX: a\r\n b\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_trailer_no_colon, "0\r\nX a\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_trailer_empty_name, "0\r\n: a\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_trailer_nul, "0\r\nX: a\0b\r\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_trailer_bare_lf, "0\r\nX: a\n\r\n", WEFT_EHTTP_BAD_CHUNK)
REJECTS(reject_body_over_default_limit, "100001\r\n", WEFT_EHTTP_BODY_TOO_LARGE)

static void incomplete_is_eagain(void **state)
{
    (void)state;
    char out[64], rest[64];
    size_t ol, rl;
    static const char w[] = "5\r\nhello\r\n0\r\nX: y\r\n";
    assert_int_equal(decode_all(w, sizeof w - 1, NULL, out, &ol, rest, &rl), -EAGAIN);
}

static void huge_size_needs_limit(void **state)
{
    (void)state;
    weft_h1_limits l;
    weft_h1_limits_init(&l);
    l.max_body = UINT64_MAX;
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, &l);
    char w[] = "ffffffffffffffff\r\nabc";
    size_t len = sizeof w - 1;
    assert_int_equal(weft_h1_chunked_decode(&c, w, &len), -EAGAIN);
    assert_int_equal(len, 3);
    assert_memory_equal(w, "abc", 3);
}

static void total_body_limit(void **state)
{
    (void)state;
    weft_h1_limits l;
    weft_h1_limits_init(&l);
    l.max_body = 10;
    char out[64], rest[64];
    size_t ol, rl;
    static const char ok[] = "6\r\n123456\r\n4\r\n7890\r\n0\r\n\r\n";
    assert_int_equal(decode_all(ok, sizeof ok - 1, &l, out, &ol, rest, &rl), 0);
    assert_int_equal(ol, 10);
    static const char over[] = "6\r\n123456\r\n5\r\n7890a\r\n0\r\n\r\n";
    assert_int_equal(decode_all(over, sizeof over - 1, &l, out, &ol, rest, &rl),
                     WEFT_EHTTP_BODY_TOO_LARGE);
}

static void extension_limit(void **state)
{
    (void)state;
    weft_h1_limits l;
    weft_h1_limits_init(&l);
    l.max_chunk_ext = 8;
    char out[64], rest[64];
    size_t ol, rl;
    static const char ok[] = "1;abcdefg\r\nx\r\n0\r\n\r\n"; /* ";abcdefg": 8 bytes */
    assert_int_equal(decode_all(ok, sizeof ok - 1, &l, out, &ol, rest, &rl), 0);
    static const char over[] = "1;abcdefgh\r\nx\r\n0\r\n\r\n";
    assert_int_equal(decode_all(over, sizeof over - 1, &l, out, &ol, rest, &rl), WEFT_EHTTP_BAD_CHUNK);
}

static void trailer_limit(void **state)
{
    (void)state;
    weft_h1_limits l;
    weft_h1_limits_init(&l);
    l.max_trailers = 10;
    char out[64], rest[64];
    size_t ol, rl;
    static const char ok[] = "0\r\nA: 12345\r\n\r\n"; /* one 10-byte field line */
    assert_int_equal(decode_all(ok, sizeof ok - 1, &l, out, &ol, rest, &rl), 0);
    static const char over[] = "0\r\nA: 123456\r\n\r\n";
    assert_int_equal(decode_all(over, sizeof over - 1, &l, out, &ol, rest, &rl),
                     WEFT_EHTTP_HEADERS_TOO_LARGE);
}

static void error_is_sticky(void **state)
{
    (void)state;
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, NULL);
    char a[] = "z\r\n", b[] = "0\r\n\r\n";
    size_t len = 3;
    assert_int_equal(weft_h1_chunked_decode(&c, a, &len), WEFT_EHTTP_BAD_CHUNK);
    len = 5;
    assert_int_equal(weft_h1_chunked_decode(&c, b, &len), WEFT_EHTTP_BAD_CHUNK);
    assert_false(weft_h1_chunked_done(&c));
}

static void decode_to_small_room(void **state)
{
    (void)state;
    static const char w[] = "a\r\n0123456789\r\n0\r\n\r\nNEXT";
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, NULL);
    char out[16];
    size_t off = 0, got = 0;
    int r = -EAGAIN;
    while (r == -EAGAIN) {
        size_t in = sizeof w - 1 - off, room = 3;
        r = weft_h1_chunked_decode_to(&c, w + off, &in, out + got, &room);
        assert_true(room <= 3);
        off += in;
        got += room;
    }
    assert_int_equal(r, 0);
    assert_int_equal(got, 10);
    assert_memory_equal(out, "0123456789", 10);
    assert_string_equal(w + off, "NEXT");
}

static void encode_headers(void **state)
{
    (void)state;
    char h[WEFT_H1_CHUNK_HEADER_MAX];
    assert_int_equal(weft_h1_chunk_header(h, 0), 3);
    assert_memory_equal(h, "0\r\n", 3);
    assert_int_equal(weft_h1_chunk_header(h, 255), 4);
    assert_memory_equal(h, "ff\r\n", 4);
    assert_int_equal(weft_h1_chunk_header(h, 0x1000), 6);
    assert_memory_equal(h, "1000\r\n", 6);
    assert_int_equal(weft_h1_chunk_header(h, UINT64_MAX), WEFT_H1_CHUNK_HEADER_MAX);
    assert_memory_equal(h, "ffffffffffffffff\r\n", 18);
}

static void encode_decode_round_trip(void **state)
{
    (void)state;
    char wire[4096], body[2048];
    size_t n = 0, blen = 0;
    for (size_t size = 1; size < 60; size += 7) {
        n += weft_h1_chunk_header(wire + n, size);
        for (size_t i = 0; i < size; i++, blen++)
            wire[n++] = body[blen] = (char)('a' + blen % 26);
        wire[n++] = '\r';
        wire[n++] = '\n';
    }
    memcpy(wire + n, WEFT_H1_CHUNK_LAST, 5);
    n += 5;
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, NULL);
    size_t len = n;
    assert_int_equal(weft_h1_chunked_decode(&c, wire, &len), 0);
    assert_int_equal(len, blen);
    assert_memory_equal(wire, body, blen);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(one_chunk),
    cmocka_unit_test(several_chunks),
    cmocka_unit_test(hex_case_and_leading_zeros),
    cmocka_unit_test(zero_chunk_only),
    cmocka_unit_test(extensions_skipped),
    cmocka_unit_test(extension_after_bws),
    cmocka_unit_test(trailers_skipped),
    cmocka_unit_test(next_message_kept),
    cmocka_unit_test(crlf_in_data_is_data),
    cmocka_unit_test(reject_empty_size),
    cmocka_unit_test(reject_bad_hex),
    cmocka_unit_test(reject_0x_prefix),
    cmocka_unit_test(reject_negative),
    cmocka_unit_test(reject_plus),
    cmocka_unit_test(reject_leading_space),
    cmocka_unit_test(reject_trailing_space_no_ext),
    cmocka_unit_test(reject_17_hex_digits),
    cmocka_unit_test(reject_overflow),
    cmocka_unit_test(reject_size_bare_lf),
    cmocka_unit_test(reject_size_bare_cr),
    cmocka_unit_test(reject_data_too_long),
    cmocka_unit_test(reject_data_bare_lf),
    cmocka_unit_test(reject_data_missing_crlf),
    cmocka_unit_test(reject_ext_ctl),
    cmocka_unit_test(reject_ext_bare_lf),
    cmocka_unit_test(reject_last_bare_lf),
    cmocka_unit_test(reject_trailer_obs_fold),
    cmocka_unit_test(reject_trailer_no_colon),
    cmocka_unit_test(reject_trailer_empty_name),
    cmocka_unit_test(reject_trailer_nul),
    cmocka_unit_test(reject_trailer_bare_lf),
    cmocka_unit_test(reject_body_over_default_limit),
    cmocka_unit_test(incomplete_is_eagain),
    cmocka_unit_test(huge_size_needs_limit),
    cmocka_unit_test(total_body_limit),
    cmocka_unit_test(extension_limit),
    cmocka_unit_test(trailer_limit),
    cmocka_unit_test(error_is_sticky),
    cmocka_unit_test(decode_to_small_room),
    cmocka_unit_test(encode_headers),
    cmocka_unit_test(encode_decode_round_trip),
};

WEFT_TEST_MAIN(tests)
