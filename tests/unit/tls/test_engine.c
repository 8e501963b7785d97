/* The TLS engine with no I/O: a client engine talks to a server engine in
 * memory. Handshakes, data both ways, verification failures and their
 * details, ALPN, SNI, client certificates, resumption, close_notify. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "weft.h"
#include "weft/tls.h"
#include "weft_test.h"
#include "weft_test_tls.h"

/* ------------------------------------------------------------------ helpers */

static weft_tls_ctx *client_ctx(void)
{
    weft_tls_ctx *c;
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_CLIENT, &c), 0);
    assert_int_equal(weft_tls_ctx_clear_default_verify_paths(c), 0);
    assert_int_equal(weft_tls_ctx_load_verify_locations(c, weft_test_cert("ca.pem"), NULL), 0);
    return c;
}

static weft_tls_ctx *server_ctx_with(const char *chain, const char *key)
{
    weft_tls_ctx *s;
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_SERVER, &s), 0);
    int r = weft_tls_ctx_load_cert_chain(s, weft_test_cert(chain), weft_test_cert(key));
    if (r)
        fail_msg("load_cert_chain: %s", weft_tls_ctx_errdetail(s));
    return s;
}

static weft_tls_ctx *server_ctx(void)
{
    return server_ctx_with("server-chain.pem", "server.key");
}

/* Move every pending output byte of a into b. Returns the count moved. */
static size_t move(weft_tls *a, weft_tls *b)
{
    size_t len, total = 0;
    const void *p;
    while ((p = weft_tls_out_peek(a, &len)) != NULL) {
        assert_int_equal(weft_tls_feed(b, p, len), 0);
        weft_tls_out_consume(a, len);
        total += len;
    }
    return total;
}

/* Run both handshakes to the end. Returns 0 if both finished, else stores
 * each side's last result. */
static int handshake(weft_tls *c, weft_tls *s, int *rc, int *rs)
{
    int a = -EAGAIN, b = -EAGAIN;
    for (int i = 0; i < 20; i++) {
        a = weft_tls_handshake(c);
        move(c, s);
        b = weft_tls_handshake(s);
        size_t moved = move(s, c);
        if ((a == 0 && b == 0) || (a != 0 && a != -EAGAIN) || (b != 0 && b != -EAGAIN)) {
            if (a == -EAGAIN && moved) /* let the client read the alert */
                a = weft_tls_handshake(c);
            break;
        }
    }
    if (rc)
        *rc = a;
    if (rs)
        *rs = b;
    return a == 0 && b == 0 ? 0 : -1;
}

static void pair(weft_tls_ctx *cc, weft_tls_ctx *sc, const char *host, weft_tls **c, weft_tls **s)
{
    assert_int_equal(weft_tls_new(cc, host, c), 0);
    assert_int_equal(weft_tls_new(sc, NULL, s), 0);
}

/* Read everything available from t into buf (appending at *len). */
static int drain(weft_tls *t, char *buf, size_t cap, size_t *len)
{
    for (;;) {
        int r = weft_tls_read(t, buf + *len, cap - *len);
        if (r <= 0)
            return r;
        *len += (size_t)r;
    }
}

/* --------------------------------------------------------------- handshake */

static void handshake_and_data_both_ways(void **state)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx();
    weft_tls *c, *s;
    pair(cc, sc, "localhost", &c, &s);
    /* Nothing can be written before the handshake. */
    assert_int_equal(weft_tls_write(c, "x", 1), -EAGAIN);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_true(weft_tls_handshake_done(c));
    assert_string_equal(weft_tls_version(c), "TLSv1.3");
    assert_true(weft_tls_peer_verified(c));
    assert_false(weft_tls_session_reused(c));
    assert_string_equal(weft_tls_server_name(s), "localhost");
    char subj[128];
    assert_true(weft_tls_peer_subject(c, subj, sizeof subj) > 0);
    assert_string_equal(subj, "CN = localhost");
    assert_null(weft_tls_alpn(c));

    /* 1 MiB client -> server, 1 MiB back, digests compared. */
    size_t n = WEFT_SCALED(1u << 20);
    unsigned char *data = malloc(n), *got = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 131 + (i >> 9));
    for (int dir = 0; dir < 2; dir++) {
        weft_tls *from = dir ? s : c, *to = dir ? c : s;
        size_t off = 0, glen = 0;
        while (off < n) {
            size_t chunk = n - off < 70000 ? n - off : 70000;
            int w = weft_tls_write(from, data + off, chunk);
            assert_int_equal(w, (int)chunk);
            off += chunk;
            move(from, to);
            assert_int_equal(drain(to, (char *)got, n + 1, &glen), -EAGAIN);
            move(to, from); /* TLS 1.3 tickets, key updates */
        }
        assert_int_equal(glen, n);
        assert_memory_equal(got, data, n);
    }

    /* Clean close both ways: close_notify, read returns 0. */
    assert_int_equal(weft_tls_shutdown(c), 0);
    assert_int_equal(weft_tls_write(c, "x", 1), -EPIPE);
    move(c, s);
    assert_int_equal(weft_tls_read(s, got, 16), 0);
    assert_true(weft_tls_close_notify_received(s));
    assert_int_equal(weft_tls_shutdown(s), 1);
    move(s, c);
    assert_int_equal(weft_tls_read(c, got, 16), 0);
    assert_int_equal(weft_tls_shutdown(c), 1);
    free(data);
    free(got);
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

static void tls12_handshake(void **state)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx();
    assert_int_equal(weft_tls_ctx_set_versions(cc, WEFT_TLS_1_2, WEFT_TLS_1_2), 0);
    weft_tls *c, *s;
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_string_equal(weft_tls_version(c), "TLSv1.2");
    assert_string_equal(weft_tls_version(s), "TLSv1.2");
    weft_tls_free(c);
    weft_tls_free(s);
    /* A server that only speaks 1.3 refuses a 1.2-only client. */
    assert_int_equal(weft_tls_ctx_set_versions(sc, WEFT_TLS_1_3, 0), 0);
    pair(cc, sc, "localhost", &c, &s);
    int rc, rs;
    assert_int_equal(handshake(c, s, &rc, &rs), -1);
    assert_int_equal(rs, WEFT_ETLS_HANDSHAKE);
    assert_int_equal(rc, WEFT_ETLS_HANDSHAKE);
    assert_non_null(strstr(weft_tls_errdetail(s), "protocol"));
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

/* ------------------------------------------------------------ verification */

static void expect_verify_failure(const char *chain, const char *key, const char *host,
                                  const char *detail)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx_with(chain, key);
    weft_tls *c, *s;
    pair(cc, sc, host, &c, &s);
    int rc, rs;
    assert_int_equal(handshake(c, s, &rc, &rs), -1);
    assert_int_equal(rc, WEFT_ETLS_VERIFY);
    if (!strstr(weft_tls_errdetail(c), detail))
        fail_msg("detail '%s' lacks '%s'", weft_tls_errdetail(c), detail);
    /* The server hears about it through an alert. */
    assert_int_equal(rs, WEFT_ETLS_HANDSHAKE);
    assert_true(strlen(weft_tls_errdetail(s)) > 0);
    /* Errors are sticky. */
    char b[8];
    assert_int_equal(weft_tls_read(c, b, sizeof b), WEFT_ETLS_VERIFY);
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

static void verify_fails_self_signed(void **state)
{
    expect_verify_failure("self.pem", "self.key", "localhost", "self-signed certificate");
}

static void verify_fails_expired(void **state)
{
    expect_verify_failure("expired-chain.pem", "expired.key", "localhost", "certificate has expired");
}

static void verify_fails_wrong_host(void **state)
{
    expect_verify_failure("wronghost-chain.pem", "wronghost.key", "localhost", "hostname mismatch");
    expect_verify_failure("server-chain.pem", "server.key", "example.com", "hostname mismatch");
}

static void verify_fails_unknown_ca(void **state)
{
    /* The chain is fine but its root is not one we trust. */
    weft_tls_ctx *cc, *sc = server_ctx();
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_CLIENT, &cc), 0);
    assert_int_equal(weft_tls_ctx_clear_default_verify_paths(cc), 0);
    assert_int_equal(weft_tls_ctx_load_verify_locations(cc, weft_test_cert("other-ca.pem"), NULL), 0);
    weft_tls *c, *s;
    pair(cc, sc, "localhost", &c, &s);
    int rc;
    assert_int_equal(handshake(c, s, &rc, NULL), -1);
    assert_int_equal(rc, WEFT_ETLS_VERIFY);
    assert_non_null(strstr(weft_tls_errdetail(c), "local issuer"));
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

static void ip_address_san(void **state)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx_with("ipsan-chain.pem", "ipsan.key");
    weft_tls *c, *s;
    pair(cc, sc, "127.0.0.1", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    /* An address is never sent as SNI. */
    assert_null(weft_tls_server_name(s));
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(sc);
    /* Another address does not match; neither does a DNS name. */
    expect_verify_failure("ipsan-chain.pem", "ipsan.key", "127.0.0.2", "IP address mismatch");
    expect_verify_failure("ipsan-chain.pem", "ipsan.key", "localhost", "hostname mismatch");
    /* The localhost certificate also names ::1. */
    sc = server_ctx();
    pair(cc, sc, "[::1]", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

static void insecure_no_verify_accepts_anything(void **state)
{
    weft_tls_ctx *cc, *sc = server_ctx_with("self.pem", "self.key");
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_CLIENT, &cc), 0);
    /* Turning verification off takes the loud call. */
    assert_int_equal(weft_tls_ctx_set_verify(cc, WEFT_TLS_VERIFY_NONE), WEFT_ETLS_CONFIG);
    assert_non_null(strstr(weft_tls_ctx_errdetail(cc), "insecure"));
    assert_int_equal(weft_tls_ctx_set_insecure_no_verify(cc), 0);
    weft_tls *c, *s;
    pair(cc, sc, "anything.invalid", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_false(weft_tls_peer_verified(c));
    weft_tls_free(c);
    weft_tls_free(s);
    /* And without a host name at all. */
    pair(cc, sc, NULL, &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

/* ------------------------------------------------------------- ALPN, SNI */

static void alpn_server_preference(void **state)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx();
    assert_int_equal(weft_tls_ctx_set_alpn(cc, "h2,http/1.1"), 0);
    assert_int_equal(weft_tls_ctx_set_alpn(sc, "http/1.1,h2"), 0);
    weft_tls *c, *s;
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_string_equal(weft_tls_alpn(c), "http/1.1");
    assert_string_equal(weft_tls_alpn(s), "http/1.1");
    weft_tls_free(c);
    weft_tls_free(s);
    /* No overlap: the server refuses with no_application_protocol. */
    assert_int_equal(weft_tls_ctx_set_alpn(cc, "spdy/3"), 0);
    pair(cc, sc, "localhost", &c, &s);
    int rc, rs;
    assert_int_equal(handshake(c, s, &rc, &rs), -1);
    assert_int_equal(rs, WEFT_ETLS_HANDSHAKE);
    assert_int_equal(rc, WEFT_ETLS_HANDSHAKE);
    assert_non_null(strstr(weft_tls_errdetail(c), "no application protocol"));
    weft_tls_free(c);
    weft_tls_free(s);
    /* A client without ALPN still gets in, with no protocol. */
    assert_int_equal(weft_tls_ctx_set_alpn(cc, NULL), 0);
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_null(weft_tls_alpn(c));
    weft_tls_free(c);
    weft_tls_free(s);
    assert_int_equal(weft_tls_ctx_set_alpn(cc, "a,,b"), WEFT_ETLS_CONFIG);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

static void sni_picks_certificate(void **state)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx();
    weft_tls_ctx *other = server_ctx_with("other-chain.pem", "other.key");
    assert_int_equal(weft_tls_ctx_set_alpn(sc, "h2"), 0); /* other inherits it */
    assert_int_equal(weft_tls_ctx_add_sni(sc, "OTHER.test", other), 0);
    weft_tls_ctx_free(other); /* sc holds it now */
    assert_int_equal(weft_tls_ctx_set_alpn(cc, "h2"), 0);
    const char *hosts[] = { "other.test", "localhost" };
    const char *subjects[] = { "CN = other.test", "CN = localhost" };
    for (int i = 0; i < 2; i++) {
        weft_tls *c, *s;
        pair(cc, sc, hosts[i], &c, &s);
        assert_int_equal(handshake(c, s, NULL, NULL), 0);
        char subj[64];
        assert_true(weft_tls_peer_subject(c, subj, sizeof subj) > 0);
        assert_string_equal(subj, subjects[i]);
        assert_string_equal(weft_tls_alpn(c), "h2");
        weft_tls_free(c);
        weft_tls_free(s);
    }
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

/* ------------------------------------------------------ client certificates */

static void client_certificate_required(void **state)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx();
    assert_int_equal(weft_tls_ctx_set_verify(sc, WEFT_TLS_VERIFY_REQUIRED), 0);
    assert_int_equal(weft_tls_ctx_load_verify_locations(sc, weft_test_cert("ca.pem"), NULL), 0);
    weft_tls *c, *s;
    char buf[64];

    /* Without a certificate: the server fails the handshake; a TLS 1.3
     * client learns it on its first read. */
    pair(cc, sc, "localhost", &c, &s);
    int rc, rs;
    handshake(c, s, &rc, &rs);
    assert_int_equal(rs, WEFT_ETLS_HANDSHAKE);
    assert_non_null(strstr(weft_tls_errdetail(s), "certificate"));
    if (rc == 0)
        rc = weft_tls_read(c, buf, sizeof buf);
    assert_int_equal(rc, WEFT_ETLS_HANDSHAKE);
    assert_non_null(strstr(weft_tls_errdetail(c), "certificate required"));
    weft_tls_free(c);
    weft_tls_free(s);

    /* With one. */
    assert_int_equal(weft_tls_ctx_load_cert_chain(cc, weft_test_cert("client-chain.pem"),
                                                  weft_test_cert("client.key")), 0);
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_int_equal(weft_tls_write(c, "hi", 2), 2);
    move(c, s);
    assert_int_equal(weft_tls_read(s, buf, sizeof buf), 2);
    assert_true(weft_tls_peer_verified(s));
    assert_true(weft_tls_peer_subject(s, buf, sizeof buf) > 0);
    assert_string_equal(buf, "CN = weft test client");
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

/* ---------------------------------------------------------------- resumption */

static bool connect_once(weft_tls_ctx *cc, weft_tls_ctx *sc, const char *key)
{
    weft_tls *c, *s;
    pair(cc, sc, "localhost", &c, &s);
    if (key)
        assert_int_equal(weft_tls_set_session_key(c, key), 0);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    /* TLS 1.3 tickets arrive after the handshake: a read takes them in. */
    char b[8];
    assert_int_equal(weft_tls_read(c, b, sizeof b), -EAGAIN);
    bool reused = weft_tls_session_reused(c);
    assert_int_equal(reused, weft_tls_session_reused(s));
    weft_tls_free(c);
    weft_tls_free(s);
    return reused;
}

static void session_resumption_cache(void **state)
{
    for (int v = 0; v < 2; v++) {
        weft_tls_ctx *cc = client_ctx(), *sc = server_ctx();
        int ver = v ? WEFT_TLS_1_2 : WEFT_TLS_1_3;
        assert_int_equal(weft_tls_ctx_set_versions(cc, ver, ver), 0);
        assert_false(connect_once(cc, sc, "localhost:443"));
        assert_true(connect_once(cc, sc, "localhost:443"));
        assert_true(connect_once(cc, sc, "localhost:443"));
        /* Another key (another port) has no session yet. */
        assert_false(connect_once(cc, sc, "localhost:8443"));
        /* Turning the cache off. */
        assert_int_equal(weft_tls_ctx_set_session_cache(cc, 0), 0);
        assert_false(connect_once(cc, sc, "localhost:443"));
        weft_tls_ctx_free(cc);
        weft_tls_ctx_free(sc);
    }
}

static void session_save_and_load(void **state)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx();
    assert_int_equal(weft_tls_ctx_set_session_cache(cc, 0), 0);
    weft_tls *c, *s;
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    char b[8];
    assert_int_equal(weft_tls_read(c, b, sizeof b), -EAGAIN);
    int n = weft_tls_session_save(c, NULL, 0);
    assert_true(n > 0);
    unsigned char *der = malloc((size_t)n);
    assert_int_equal(weft_tls_session_save(c, der, (size_t)n - 1), -ENOSPC);
    assert_int_equal(weft_tls_session_save(c, der, (size_t)n), n);
    weft_tls_free(c);
    weft_tls_free(s);

    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(weft_tls_session_load(c, der, (size_t)n), 0);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_true(weft_tls_session_reused(c));
    weft_tls_free(c);
    weft_tls_free(s);
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(weft_tls_session_load(c, "junk", 4), WEFT_ETLS_CONFIG);
    weft_tls_free(c);
    weft_tls_free(s);
    free(der);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

/* -------------------------------------------------------------- endings */

static void eof_without_close_notify(void **state)
{
    weft_tls_ctx *cc = client_ctx(), *sc = server_ctx();
    weft_tls *c, *s;
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_int_equal(weft_tls_write(s, "tail", 4), 4);
    move(s, c);
    weft_tls_feed_eof(c);
    /* The data that arrived comes first, then the truncation is reported. */
    char buf[16];
    assert_int_equal(weft_tls_read(c, buf, sizeof buf), 4);
    assert_int_equal(weft_tls_read(c, buf, sizeof buf), WEFT_ETLS_NO_CLOSE_NOTIFY);
    assert_non_null(strstr(weft_tls_errdetail(c), "close_notify"));
    weft_tls_free(c);
    weft_tls_free(s);

    /* An end of input in the middle of the handshake. */
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(weft_tls_handshake(c), -EAGAIN);
    move(c, s);
    weft_tls_feed_eof(c);
    assert_int_equal(weft_tls_handshake(c), WEFT_ETLS_HANDSHAKE);
    assert_non_null(strstr(weft_tls_errdetail(c), "during the handshake"));
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

static void garbage_is_a_handshake_error(void **state)
{
    weft_tls_ctx *sc = server_ctx();
    weft_tls *s;
    assert_int_equal(weft_tls_new(sc, NULL, &s), 0);
    const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(weft_tls_feed(s, req, sizeof req - 1), 0);
    assert_int_equal(weft_tls_handshake(s), WEFT_ETLS_HANDSHAKE);
    assert_true(strlen(weft_tls_errdetail(s)) > 0);
    weft_tls_free(s);

    /* Corrupt a record after the handshake: a protocol error. */
    weft_tls_ctx *cc = client_ctx();
    weft_tls *c;
    pair(cc, sc, "localhost", &c, &s);
    assert_int_equal(handshake(c, s, NULL, NULL), 0);
    assert_int_equal(weft_tls_write(c, "hello", 5), 5);
    size_t len;
    unsigned char *p = (unsigned char *)weft_tls_out_peek(c, &len);
    p[len - 1] ^= 1;
    move(c, s);
    char buf[16];
    assert_int_equal(weft_tls_read(s, buf, sizeof buf), WEFT_ETLS_PROTOCOL);
    assert_non_null(strstr(weft_tls_errdetail(s), "bad record mac"));
    weft_tls_free(c);
    weft_tls_free(s);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(sc);
}

static void config_errors_have_details(void **state)
{
    weft_tls_ctx *sc;
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_SERVER, &sc), 0);
    assert_int_equal(weft_tls_ctx_load_cert_chain(sc, "/nonexistent/cert.pem", NULL), WEFT_ETLS_CONFIG);
    assert_non_null(strstr(weft_tls_ctx_errdetail(sc), "No such file"));
    /* A key that is not the certificate's. */
    assert_int_equal(weft_tls_ctx_load_cert_chain(sc, weft_test_cert("server-chain.pem"),
                                                  weft_test_cert("other.key")), WEFT_ETLS_CONFIG);
    assert_non_null(strstr(weft_tls_ctx_errdetail(sc), "mismatch"));
    assert_int_equal(weft_tls_ctx_load_verify_locations(sc, "/nonexistent/ca.pem", NULL), WEFT_ETLS_CONFIG);
    assert_int_equal(weft_tls_ctx_set_versions(sc, 0x0301, 0), WEFT_ETLS_CONFIG);
    assert_int_equal(weft_tls_ctx_set_ciphers(sc, "NOPE", NULL), WEFT_ETLS_CONFIG);
    assert_int_equal(weft_tls_ctx_add_sni(sc, "x", sc), -EINVAL);
    weft_tls_ctx_free(sc);

    weft_tls_ctx *cc;
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_CLIENT, &cc), 0);
    weft_tls *c;
    /* Checking the host name needs one. */
    assert_int_equal(weft_tls_new(cc, NULL, &c), WEFT_ETLS_CONFIG);
    assert_null(c);
    assert_non_null(strstr(weft_tls_ctx_errdetail(cc), "server_hostname"));
    assert_int_equal(weft_tls_ctx_set_check_hostname(cc, false), 0);
    assert_int_equal(weft_tls_new(cc, NULL, &c), 0);
    weft_tls_free(c);
    weft_tls_ctx_free(cc);
    assert_string_equal(weft_strerror(WEFT_ETLS_VERIFY), "TLS certificate verification failed");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(handshake_and_data_both_ways),
    cmocka_unit_test(tls12_handshake),
    cmocka_unit_test(verify_fails_self_signed),
    cmocka_unit_test(verify_fails_expired),
    cmocka_unit_test(verify_fails_wrong_host),
    cmocka_unit_test(verify_fails_unknown_ca),
    cmocka_unit_test(ip_address_san),
    cmocka_unit_test(insecure_no_verify_accepts_anything),
    cmocka_unit_test(alpn_server_preference),
    cmocka_unit_test(sni_picks_certificate),
    cmocka_unit_test(client_certificate_required),
    cmocka_unit_test(session_resumption_cache),
    cmocka_unit_test(session_save_and_load),
    cmocka_unit_test(eof_without_close_notify),
    cmocka_unit_test(garbage_is_a_handshake_error),
    cmocka_unit_test(config_errors_have_details),
};

WEFT_TEST_MAIN(tests)
