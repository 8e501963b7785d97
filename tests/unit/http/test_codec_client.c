/* test_codec_client.c - the codecs as the HTTP client's decoders
 * (src/http/codec_client.c): registered under their names, stacked by the
 * client for a Content-Encoding list, truncation reported by finish. */
#include "weft_test.h"

#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "http/codec_int.h"
#include "weft/http_codec.h"

/* Run the client's decoder stack over in, 100 bytes at a time into 333-byte
 * pieces, the way the response reader drives it; then finish. */
static int run_stack(const char *ce, const void *in, size_t len, char *out, size_t cap,
                     size_t *outlen)
{
    struct weft__hc_decoder *d;
    int r = weft__hc_decoder_open(ce, &d);
    if (r < 0)
        return r;
    size_t pos = 0, got = 0;
    for (int spins = 0; spins < 100000; spins++) {
        size_t take = len - pos < 100 ? len - pos : 100, room = cap - got < 333 ? cap - got : 333;
        size_t il = take, ol = room;
        r = weft__hc_decoder_run(d, (const char *)in + pos, &il, out + got, &ol);
        pos += il;
        got += ol;
        if (r < 0 || r == 1)
            break;
        if (pos == len && weft__hc_decoder_stalled(d)) {
            r = weft__hc_decoder_finish(d);
            break;
        }
    }
    weft__hc_decoder_free(d);
    *outlen = got;
    return r;
}

static void registered_and_stacked(void **state)
{
    (void)state;
    weft__codec_client_register();
    weft__codec_client_register(); /* idempotent */
    assert_string_equal(weft__hc_accept_encoding(), WEFT_HTTP_ACCEPT_ENCODING);
    size_t n = 50000;
    char *plain = malloc(n), *out = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        plain[i] = "weft content coding "[i % 20];
    /* gzip applied first, then br: "gzip, br" */
    void *g, *gb;
    size_t gl, gbl, ol;
    assert_int_equal(weft_http_encode(WEFT_CODING_GZIP, 6, plain, n, &g, &gl), 0);
    assert_int_equal(weft_http_encode(WEFT_CODING_BR, 5, g, gl, &gb, &gbl), 0);
    int r = run_stack("gzip, br", gb, gbl, out, n + 1, &ol);
    assert_true(r >= 0);
    assert_int_equal(ol, n);
    assert_memory_equal(out, plain, n);
    /* every coding alone */
    for (int c = WEFT_CODING_GZIP; c <= WEFT_CODING_ZSTD; c++) {
        void *e;
        size_t el;
        assert_int_equal(weft_http_encode(c, WEFT_CODEC_LEVEL_DEFAULT, plain, n, &e, &el), 0);
        r = run_stack(weft_coding_name(c), e, el, out, n + 1, &ol);
        assert_true(r >= 0);
        assert_int_equal(ol, n);
        /* cut short: the client's finish hears about it */
        r = run_stack(weft_coding_name(c), e, el - 4, out, n + 1, &ol);
        assert_true(r < 0);
        free(e);
    }
    /* corrupt: the codec's error comes through */
    memset(gb, 0x55, 8);
    r = run_stack("gzip, br", gb, gbl, out, n + 1, &ol);
    assert_int_equal(r, WEFT_EHTTP_CODING_CORRUPT);
    free(g);
    free(gb);
    free(plain);
    free(out);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registered_and_stacked),
    };
    return weft_test_main(tests, sizeof tests / sizeof tests[0], argc, argv);
}
