/* test_codec_peers.c - weft's content codings against other implementations:
 * Python's gzip, zlib, brotli and zstandard modules and the gzip, zstd and
 * brotli command-line tools. Each peer encodes what weft decodes and decodes
 * what weft encodes, streamed and flushed as a server sends it. A case whose
 * peer is not installed is skipped (scripts/deps.sh installs them all). */
#include <errno.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weft/http_codec.h"
#include "weft_test.h"

#define PY "/usr/bin/python3"

static char dir[256];

static void remove_dir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* A scratch folder per process (ctest runs each case in its own), removed
 * at exit even when a case fails. */
static void use_dir(void)
{
    if (dir[0])
        return;
    snprintf(dir, sizeof dir, "/tmp/weft-codec-%d-XXXXXX", (int)getpid());
    assert_non_null(mkdtemp(dir));
    atexit(remove_dir);
}

/* Run a shell command, bounded in time; returns its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048], full[2400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && timeout 60 sh -c '%s'", dir, cmd);
    int r = system(full);
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static bool have_py_module(const char *m)
{
    return sh(PY " -c \"import %s\" 2>/dev/null", m) == 0;
}

static bool have_tool(const char *t)
{
    return sh("command -v %s >/dev/null", t) == 0;
}

static void write_file(const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *name, size_t *n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)len + 1);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

/* A sample like a web page or an API answer, plus some binary noise. */
static uint8_t *sample(size_t n)
{
    uint8_t *p = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (i / 4096) % 3 == 2 ? (uint8_t)(x >> 16) : (uint8_t)("<li>weft zstd</li>\n"[(x >> 16) % 19]);
    }
    return p;
}

#define N WEFT_SCALED(1u << 20)

/* Decode a file with weft in 1000-byte pieces; compare with the sample. */
static void weft_decodes(const char *ce, const char *file, const uint8_t *want, size_t n)
{
    size_t len;
    uint8_t *in = read_file(file, &len);
    weft_codec *d;
    assert_int_equal(weft_codec_decoder_new(ce, strlen(ce), NULL, &d), 0);
    uint8_t *got = malloc(n + 1);
    size_t pos = 0, have = 0;
    int r;
    for (;;) {
        size_t take = len - pos < 1000 ? len - pos : 1000;
        size_t u = take, m = n + 1 - have;
        if (m > 4096)
            m = 4096;
        r = weft_codec_process(d, in + pos, &u, got + have, &m,
                               pos + take == len ? WEFT_CODEC_FINISH : 0);
        pos += u;
        have += m;
        if (r < 0)
            fail_msg("%s from %s: %s (%s)", ce, file, weft_strerror(r), weft_codec_errdetail(d));
        if (r == WEFT_CODEC_END && pos == len)
            break;
        assert_true(have <= n);
    }
    assert_int_equal(have, n);
    assert_memory_equal(got, want, n);
    free(got);
    free(in);
    weft_codec_free(d);
}

/* Encode the sample with weft into file, flushing every 64 KiB as a
 * streaming server does, through a 1000-byte output buffer. */
static void weft_encodes(int coding, const char *file, const uint8_t *data, size_t n)
{
    weft_codec *e;
    assert_int_equal(weft_codec_encoder_new(coding, WEFT_CODEC_LEVEL_DEFAULT, &e), 0);
    uint8_t *out = malloc(n + n / 2 + 1024);
    size_t pos = 0, have = 0;
    for (;;) {
        size_t take = n - pos < 65536 ? n - pos : 65536;
        unsigned fl = pos + take == n ? WEFT_CODEC_FINISH : WEFT_CODEC_FLUSH;
        size_t u = take, m = 1000;
        int r = weft_codec_process(e, data + pos, &u, out + have, &m, fl);
        assert_true(r >= 0);
        pos += u;
        have += m;
        if (r == WEFT_CODEC_END)
            break;
    }
    write_file(file, out, have);
    free(out);
    weft_codec_free(e);
}

static void py_gzip(void **state)
{
    (void)state;
    use_dir();
    uint8_t *d = sample(N);
    write_file("plain", d, N);
    assert_int_equal(sh(PY " -c \"import gzip; open(\\\"py.gz\\\",\\\"wb\\\").write("
                        "gzip.compress(open(\\\"plain\\\",\\\"rb\\\").read(), 6))\""),
                     0);
    weft_decodes("gzip", "py.gz", d, N);
    weft_encodes(WEFT_CODING_GZIP, "weft.gz", d, N);
    assert_int_equal(sh(PY " -c \"import gzip,sys; sys.exit(gzip.decompress(open(\\\"weft.gz\\\","
                        "\\\"rb\\\").read()) != open(\\\"plain\\\",\\\"rb\\\").read())\""),
                     0);
    free(d);
}

static void py_zlib_deflate(void **state)
{
    (void)state;
    use_dir();
    uint8_t *d = sample(N);
    write_file("plain", d, N);
    /* zlib format (what RFC 9110 calls deflate) and raw deflate (what some
     * servers send): both decode */
    assert_int_equal(sh(PY " -c \"import zlib; p=open(\\\"plain\\\",\\\"rb\\\").read();"
                        " open(\\\"py.zlib\\\",\\\"wb\\\").write(zlib.compress(p, 9));"
                        " c=zlib.compressobj(6, zlib.DEFLATED, -15);"
                        " open(\\\"py.raw\\\",\\\"wb\\\").write(c.compress(p)+c.flush())\""),
                     0);
    weft_decodes("deflate", "py.zlib", d, N);
    weft_decodes("deflate", "py.raw", d, N);
    weft_encodes(WEFT_CODING_DEFLATE, "weft.zlib", d, N);
    assert_int_equal(sh(PY " -c \"import zlib,sys; sys.exit(zlib.decompress(open(\\\"weft.zlib\\\","
                        "\\\"rb\\\").read()) != open(\\\"plain\\\",\\\"rb\\\").read())\""),
                     0);
    free(d);
}

static void py_brotli(void **state)
{
    (void)state;
    use_dir();
    if (!have_py_module("brotli"))
        skip();
    uint8_t *d = sample(N);
    write_file("plain", d, N);
    assert_int_equal(sh(PY " -c \"import brotli; open(\\\"py.br\\\",\\\"wb\\\").write("
                        "brotli.compress(open(\\\"plain\\\",\\\"rb\\\").read(), quality=9))\""),
                     0);
    weft_decodes("br", "py.br", d, N);
    weft_encodes(WEFT_CODING_BR, "weft.br", d, N);
    assert_int_equal(sh(PY " -c \"import brotli,sys; sys.exit(brotli.decompress(open(\\\"weft.br\\\","
                        "\\\"rb\\\").read()) != open(\\\"plain\\\",\\\"rb\\\").read())\""),
                     0);
    free(d);
}

static void py_zstandard(void **state)
{
    (void)state;
    use_dir();
    if (!have_py_module("zstandard"))
        skip();
    uint8_t *d = sample(N);
    write_file("plain", d, N);
    assert_int_equal(sh(PY " -c \"import zstandard as z; open(\\\"py.zst\\\",\\\"wb\\\").write("
                        "z.ZstdCompressor(level=10, write_checksum=True).compress("
                        "open(\\\"plain\\\",\\\"rb\\\").read()))\""),
                     0);
    weft_decodes("zstd", "py.zst", d, N);
    weft_encodes(WEFT_CODING_ZSTD, "weft.zst", d, N);
    /* weft's frames are streamed (no content size): read them as a stream */
    assert_int_equal(sh(PY " -c \"import zstandard as z,sys; o=z.ZstdDecompressor().decompressobj();"
                        " sys.exit(o.decompress(open(\\\"weft.zst\\\",\\\"rb\\\").read()) !="
                        " open(\\\"plain\\\",\\\"rb\\\").read())\""),
                     0);
    free(d);
}

/* Python's streaming decoders read weft's output flush by flush: after each
 * flush everything fed so far must come out (server-sent events rely on it). */
static void py_streaming_flush(void **state)
{
    (void)state;
    use_dir();
    bool br = have_py_module("brotli"), zs = have_py_module("zstandard");
    const int list[] = { WEFT_CODING_GZIP, WEFT_CODING_DEFLATE, WEFT_CODING_BR, WEFT_CODING_ZSTD };
    const char *mk[] = { "zlib.decompressobj(31)", "zlib.decompressobj(15)",
                         "brotli.Decompressor()", "zstandard.ZstdDecompressor().decompressobj()" };
    const char *feed[] = { "decompress", "decompress", "process", "decompress" };
    for (int i = 0; i < 4; i++) {
        if ((i == 2 && !br) || (i == 3 && !zs))
            continue;
        weft_codec *e;
        assert_int_equal(weft_codec_encoder_new(list[i], WEFT_CODEC_LEVEL_DEFAULT, &e), 0);
        /* events of 100 bytes; each flushed piece is written with its length */
        FILE *f;
        char path[512];
        snprintf(path, sizeof path, "%s/events", dir);
        f = fopen(path, "wb");
        assert_non_null(f);
        for (int ev = 0; ev < 50; ev++) {
            char msg[101];
            snprintf(msg, sizeof msg, "data: event %04d %-80s\n", ev, "x");
            uint8_t out[4096];
            size_t u = 100, m = sizeof out;
            assert_true(weft_codec_process(e, msg, &u, out, &m, WEFT_CODEC_FLUSH) >= 0);
            assert_int_equal(u, 100);
            assert_true(m < sizeof out);
            uint32_t len = (uint32_t)m;
            fwrite(&len, 4, 1, f);
            fwrite(out, 1, m, f);
        }
        fclose(f);
        weft_codec_free(e);
        /* each piece alone must yield its event */
        int r = sh(PY " -c \"import zlib,struct,sys\ntry:\n import brotli\nexcept ImportError: pass\n"
                      "try:\n import zstandard\nexcept ImportError: pass\n"
                      "d=%s; b=open(\\\"events\\\",\\\"rb\\\").read(); i=0; n=0\n"
                      "while i < len(b):\n"
                      " (l,)=struct.unpack(\\\"<I\\\", b[i:i+4]); out=d.%s(b[i+4:i+4+l]); i+=4+l\n"
                      " want=(\\\"data: event %%04d \\\" %% n).encode()\n"
                      " if len(out) != 100 or not out.startswith(want): sys.exit(1)\n"
                      " n+=1\n"
                      "sys.exit(0 if n == 50 else 2)\"",
                   mk[i], feed[i]);
        if (r != 0)
            fail_msg("%s: python read the flushed stream wrongly (%d)", weft_coding_name(list[i]),
                     r);
    }
}

static void cli_gzip(void **state)
{
    (void)state;
    use_dir();
    if (!have_tool("gzip"))
        skip();
    uint8_t *d = sample(N);
    write_file("plain", d, N);
    /* two members, as `cat a.gz b.gz` makes: gzip -d gives both, so must weft */
    assert_int_equal(sh("gzip -9 -c plain > cli.gz && head -c 1000 plain | gzip -1 -c > two.gz"
                        " && cat cli.gz two.gz > both.gz"),
                     0);
    weft_decodes("gzip", "cli.gz", d, N);
    uint8_t *both = malloc(N + 1000);
    memcpy(both, d, N);
    memcpy(both + N, d, 1000);
    weft_decodes("x-gzip", "both.gz", both, N + 1000);
    free(both);
    weft_encodes(WEFT_CODING_GZIP, "weft.gz", d, N);
    assert_int_equal(sh("gzip -t weft.gz && gzip -d -c weft.gz | cmp -s - plain"), 0);
    /* gzip itself finds weft's truncated or damaged output bad, as weft does its */
    assert_int_equal(sh("head -c 5000 cli.gz > cut.gz"), 0);
    size_t len;
    uint8_t *cut = read_file("cut.gz", &len);
    void *out;
    size_t outlen;
    assert_int_equal(weft_http_decode("gzip", 4, cut, len, NULL, &out, &outlen),
                     WEFT_EHTTP_CODING_TRUNCATED);
    assert_true(sh("gzip -t cut.gz 2>/dev/null") != 0);
    free(cut);
    free(d);
}

static void cli_zstd(void **state)
{
    (void)state;
    use_dir();
    if (!have_tool("zstd"))
        skip();
    uint8_t *d = sample(N);
    write_file("plain", d, N);
    assert_int_equal(sh("zstd -q -19 -c plain > cli.zst && zstd -q -1 --no-check -c plain > fast.zst"
                        " && cat cli.zst fast.zst > both.zst"),
                     0);
    weft_decodes("zstd", "cli.zst", d, N);
    weft_decodes("zstd", "fast.zst", d, N);
    uint8_t *both = malloc(2 * N);
    memcpy(both, d, N);
    memcpy(both + N, d, N);
    weft_decodes("zstd", "both.zst", both, 2 * N);
    free(both);
    weft_encodes(WEFT_CODING_ZSTD, "weft.zst", d, N);
    assert_int_equal(sh("zstd -q -t weft.zst && zstd -q -d -c weft.zst | cmp -s - plain"), 0);
    /* --long=27 asks for a 128 MiB window (from a pipe, so the size is
     * unknown and zstd cannot shrink it): over RFC 9659's cap, refused */
    assert_int_equal(sh("cat plain | zstd -q --long=27 -c > long.zst"), 0);
    size_t len;
    uint8_t *lz = read_file("long.zst", &len);
    void *out;
    size_t outlen;
    assert_int_equal(weft_http_decode("zstd", 4, lz, len, NULL, &out, &outlen),
                     WEFT_EHTTP_CODING_TOO_LARGE);
    free(lz);
    free(d);
}

static void cli_brotli(void **state)
{
    (void)state;
    use_dir();
    if (!have_tool("brotli"))
        skip();
    uint8_t *d = sample(N);
    write_file("plain", d, N);
    assert_int_equal(sh("brotli -q 11 -c plain > cli.br"), 0);
    weft_decodes("br", "cli.br", d, N);
    weft_encodes(WEFT_CODING_BR, "weft.br", d, N);
    assert_int_equal(sh("brotli -t weft.br && brotli -d -c weft.br | cmp -s - plain"), 0);
    free(d);
}

/* The stack a server builds by compressing an already compressed file. */
static void cli_stacked(void **state)
{
    (void)state;
    use_dir();
    if (!have_tool("gzip") || !have_tool("zstd"))
        skip();
    uint8_t *d = sample(N);
    write_file("plain", d, N);
    assert_int_equal(sh("gzip -c plain | zstd -q -c > stack"), 0);
    weft_decodes("gzip, zstd", "stack", d, N);
    free(d);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(py_gzip),
        cmocka_unit_test(py_zlib_deflate),
        cmocka_unit_test(py_brotli),
        cmocka_unit_test(py_zstandard),
        cmocka_unit_test(py_streaming_flush),
        cmocka_unit_test(cli_gzip),
        cmocka_unit_test(cli_zstd),
        cmocka_unit_test(cli_brotli),
        cmocka_unit_test(cli_stacked),
    };
    return weft_test_main(tests, sizeof tests / sizeof tests[0], argc, argv);
}
