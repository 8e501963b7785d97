/*
 * hist.h - a latency histogram with log-linear buckets (HdrHistogram's
 * layout): exact below 512 ns, then 256 buckets per power of two, so every
 * recorded value is known to within 0.4% and recording is a few shifts and
 * an increment, whatever the value. One per thread, merged at the end.
 *
 * Values are nanoseconds up to WEFT_HIST_MAX (about 18 minutes); larger ones
 * are counted as WEFT_HIST_MAX. Min, max, mean and stdev are exact.
 */
#ifndef WEFT_CLI_HIST_H
#define WEFT_CLI_HIST_H

#include <stdint.h>

#define WEFT_HIST_SUB_BITS 9                       /* 512 exact values */
#define WEFT_HIST_SUB (1u << WEFT_HIST_SUB_BITS)
#define WEFT_HIST_HALF (WEFT_HIST_SUB / 2)
#define WEFT_HIST_MAX_BITS 40                      /* 2^40 ns */
#define WEFT_HIST_MAX ((1ull << WEFT_HIST_MAX_BITS) - 1)
#define WEFT_HIST_BUCKETS (WEFT_HIST_SUB + (WEFT_HIST_MAX_BITS - WEFT_HIST_SUB_BITS) * WEFT_HIST_HALF)

typedef struct weft_hist {
    uint64_t count;
    uint64_t min, max;
    double sum, sumsq;
    uint64_t n[WEFT_HIST_BUCKETS];
} weft_hist;

void weft_hist_init(weft_hist *h);
void weft_hist_record(weft_hist *h, uint64_t v);
/* Add src's counts into dst. */
void weft_hist_merge(weft_hist *dst, const weft_hist *src);
/* The value at percentile p (0..100): the highest value equivalent to the
 * bucket that holds the ceil(p% of count)-th smallest sample, capped at the
 * exact max; 0 for an empty histogram. */
uint64_t weft_hist_percentile(const weft_hist *h, double p);
double weft_hist_mean(const weft_hist *h);
double weft_hist_stdev(const weft_hist *h);

/* Bucket arithmetic, exposed for tests. */
unsigned weft_hist_index(uint64_t v);
uint64_t weft_hist_lowest(unsigned index);   /* smallest value of the bucket */
uint64_t weft_hist_highest(unsigned index);  /* largest value of the bucket */

#endif
