/*
 * weft_test_tls.h - throwaway certificates for TLS tests.
 *
 * weft_test_certs() runs tests/lib/mkcerts.sh (the openssl CLI) once per
 * process into a fresh temporary folder, removed at exit, and returns the
 * folder. weft_test_cert("ca.pem") gives the path of one file in it (see
 * mkcerts.sh for the list). Nothing secret is ever committed.
 */
#ifndef WEFT_TEST_TLS_H
#define WEFT_TEST_TLS_H

/* The test binaries know the source folder (WEFT_SOURCE_DIR); the helper
 * library is built without it, so the macros pass it along. */
#define weft_test_certs() weft__test_certs(WEFT_SOURCE_DIR)
/* Path of a file in the certificate folder; the string lives until exit. */
#define weft_test_cert(name) weft__test_cert(WEFT_SOURCE_DIR, name)

const char *weft__test_certs(const char *source_dir);
const char *weft__test_cert(const char *source_dir, const char *name);

#endif
