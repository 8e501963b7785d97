/* test_hist.c - the latency histogram of `weft bench` (src/cli/hist.c, built
 * into the tool, not the library, so it is included here). */
#include "weft_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hist.c"

static void buckets_cover_values(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    unsigned last = 0;
    for (uint64_t v = 0; v < 5000; v++) {
        unsigned i = weft_hist_index(v);
        assert_true(i >= last); /* monotonic */
        last = i;
        assert_true(weft_hist_lowest(i) <= v && v <= weft_hist_highest(i));
    }
    for (int k = 0; k < 200000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t v = x >> (x % 40 + 24); /* values of every magnitude */
        unsigned i = weft_hist_index(v);
        assert_true(i < WEFT_HIST_BUCKETS);
        if (v <= WEFT_HIST_MAX) {
            assert_true(weft_hist_lowest(i) <= v && v <= weft_hist_highest(i));
            /* 0.4%: a bucket is at most 1/256 of its values wide */
            assert_true(weft_hist_highest(i) - weft_hist_lowest(i) <= weft_hist_lowest(i) / 256 + 1);
        }
    }
    /* consecutive buckets tile the range with no gap */
    for (unsigned i = 0; i + 1 < WEFT_HIST_BUCKETS; i++)
        assert_int_equal(weft_hist_highest(i) + 1, weft_hist_lowest(i + 1));
    assert_int_equal(weft_hist_index(WEFT_HIST_MAX), WEFT_HIST_BUCKETS - 1);
    assert_int_equal(weft_hist_index(UINT64_MAX), WEFT_HIST_BUCKETS - 1);
}

static void percentiles_of_uniform(void **state)
{
    (void)state;
    weft_hist *h = malloc(sizeof *h);
    weft_hist_init(h);
    assert_int_equal(weft_hist_percentile(h, 50), 0);
    for (uint64_t v = 1; v <= 1000000; v++)
        weft_hist_record(h, v * 1000); /* 1 us .. 1 s */
    assert_int_equal(h->count, 1000000);
    assert_int_equal(h->min, 1000);
    assert_int_equal(h->max, 1000000000);
    const double ps[] = { 50, 90, 99, 99.9 };
    for (int i = 0; i < 4; i++) {
        double want = ps[i] / 100 * 1e9;
        double got = (double)weft_hist_percentile(h, ps[i]);
        assert_true(got >= want * 0.999 && got <= want * 1.005);
    }
    assert_int_equal(weft_hist_percentile(h, 100), 1000000000);
    assert_int_equal(weft_hist_percentile(h, 0), 1000);
    assert_true(fabs(weft_hist_mean(h) - 500000500.0) < 1);
    /* stdev of a uniform distribution: range / sqrt(12) */
    assert_true(fabs(weft_hist_stdev(h) - 1e9 / sqrt(12)) / (1e9 / sqrt(12)) < 0.001);
    free(h);
}

static void merge_is_sum(void **state)
{
    (void)state;
    weft_hist *a = malloc(sizeof *a), *b = malloc(sizeof *b), *all = malloc(sizeof *all);
    weft_hist_init(a);
    weft_hist_init(b);
    weft_hist_init(all);
    for (uint64_t v = 0; v < 100000; v++) {
        uint64_t x = v * v % 7777777 + 100;
        weft_hist_record(v % 3 ? a : b, x);
        weft_hist_record(all, x);
    }
    weft_hist_merge(a, b);
    assert_int_equal(a->count, all->count);
    assert_int_equal(a->min, all->min);
    assert_int_equal(a->max, all->max);
    assert_memory_equal(a->n, all->n, sizeof a->n);
    for (double p = 1; p < 100; p += 7.5)
        assert_int_equal(weft_hist_percentile(a, p), weft_hist_percentile(all, p));
    /* merging an empty one changes nothing */
    weft_hist_init(b);
    weft_hist_merge(a, b);
    assert_int_equal(a->min, all->min);
    free(a);
    free(b);
    free(all);
}

static void outliers_are_seen(void **state)
{
    (void)state;
    weft_hist *h = malloc(sizeof *h);
    weft_hist_init(h);
    for (int i = 0; i < 999; i++)
        weft_hist_record(h, 50000);
    weft_hist_record(h, 2000000000); /* one 2 s stall in 1000 */
    assert_true(weft_hist_percentile(h, 99.9) <= 50000 * 1.004);
    assert_true(weft_hist_percentile(h, 99.95) >= 1990000000);
    assert_int_equal(weft_hist_percentile(h, 100), 2000000000);
    /* a value past the range is kept at the top */
    weft_hist_record(h, UINT64_MAX);
    assert_int_equal(h->max, WEFT_HIST_MAX);
    free(h);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buckets_cover_values),
        cmocka_unit_test(percentiles_of_uniform),
        cmocka_unit_test(merge_is_sum),
        cmocka_unit_test(outliers_are_seen),
    };
    return weft_test_main(tests, sizeof tests / sizeof tests[0], argc, argv);
}
