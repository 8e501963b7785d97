/*
 * weft_test.h - glue between cmocka and ctest, plus helpers every test uses.
 *
 * A test file lists its cases in a cmocka array, one `cmocka_unit_test(name)`
 * per line, and ends with WEFT_TEST_MAIN(array). CMake reads those lines and
 * registers one ctest entry per case, which runs the binary with the case's
 * name: each case gets its own process and timeout. Run without arguments, the
 * binary runs every case (handy under a debugger).
 */
#ifndef WEFT_TEST_H
#define WEFT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#ifndef WEFT_TEST_SCALE
#define WEFT_TEST_SCALE 1
#endif

/* Scale a heavy test size down in slow builds (sanitizers, valgrind), never to zero. */
#define WEFT_SCALED(n) ((n) / WEFT_TEST_SCALE > 0 ? (n) / WEFT_TEST_SCALE : 1)

int weft_test_main(const struct CMUnitTest *tests, size_t n, int argc, char **argv);

#define WEFT_TEST_MAIN(array)                                                   \
    int main(int argc, char **argv)                                             \
    {                                                                           \
        return weft_test_main(array, sizeof(array) / sizeof((array)[0]), argc, argv); \
    }

/* Number of open file descriptors of this process (for leak checks). */
int weft_test_count_fds(void);

/* Monotonic time in nanoseconds. */
uint64_t weft_test_now_ns(void);

/* Sleep ms milliseconds: the pause between two polls of a condition with a
 * bounded number of tries (a peer's port, a log line), never a wait that
 * stands in for synchronisation. */
void weft_test_nap_ms(int ms);

/* Resident set size of this process in bytes, from /proc/self/statm. */
size_t weft_test_rss_bytes(void);
/* The same for another process (pid > 0), e.g. a server forked to measure. */
size_t weft_test_rss_bytes_of(int pid);

#endif
