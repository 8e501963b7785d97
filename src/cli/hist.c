/*
 * hist.c - log-linear latency histogram (see hist.h).
 *
 * Bucket 0 holds values [0, SUB) one per slot. Octave b >= 1 holds
 * [SUB * 2^(b-1), SUB * 2^b) in HALF slots of width 2^b: the value shifted
 * right by b lands in [HALF, SUB), so the slot is SUB + (b-1)*HALF + (v>>b) - HALF.
 */
#include <math.h>
#include <string.h>

#include "cli/hist.h"

void weft_hist_init(weft_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

unsigned weft_hist_index(uint64_t v)
{
    if (v > WEFT_HIST_MAX)
        v = WEFT_HIST_MAX;
    if (v < WEFT_HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned b = msb - WEFT_HIST_SUB_BITS + 1; /* >= 1 */
    return WEFT_HIST_SUB + (b - 1) * WEFT_HIST_HALF + (unsigned)(v >> b) - WEFT_HIST_HALF;
}

uint64_t weft_hist_lowest(unsigned i)
{
    if (i < WEFT_HIST_SUB)
        return i;
    unsigned b = (i - WEFT_HIST_SUB) / WEFT_HIST_HALF + 1;
    uint64_t sub = (i - WEFT_HIST_SUB) % WEFT_HIST_HALF + WEFT_HIST_HALF;
    return sub << b;
}

uint64_t weft_hist_highest(unsigned i)
{
    if (i < WEFT_HIST_SUB)
        return i;
    unsigned b = (i - WEFT_HIST_SUB) / WEFT_HIST_HALF + 1;
    return weft_hist_lowest(i) + ((1ull << b) - 1);
}

void weft_hist_record(weft_hist *h, uint64_t v)
{
    if (v > WEFT_HIST_MAX)
        v = WEFT_HIST_MAX;
    h->n[weft_hist_index(v)]++;
    h->count++;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    double d = (double)v;
    h->sum += d;
    h->sumsq += d * d;
}

void weft_hist_merge(weft_hist *dst, const weft_hist *src)
{
    if (!src->count)
        return;
    for (unsigned i = 0; i < WEFT_HIST_BUCKETS; i++)
        dst->n[i] += src->n[i];
    dst->count += src->count;
    dst->sum += src->sum;
    dst->sumsq += src->sumsq;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t weft_hist_percentile(const weft_hist *h, double p)
{
    if (!h->count)
        return 0;
    if (p <= 0)
        return h->min;
    if (p >= 100)
        return h->max;
    /* the epsilon keeps 99.9% of 1000 at rank 999, not 1000 (0.999 * 1000
     * is a hair above 999 in binary) */
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count - 1e-9);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < WEFT_HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank) {
            uint64_t v = weft_hist_highest(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

double weft_hist_mean(const weft_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0;
}

double weft_hist_stdev(const weft_hist *h)
{
    if (h->count < 2)
        return 0;
    double m = weft_hist_mean(h);
    double var = h->sumsq / (double)h->count - m * m;
    return var > 0 ? sqrt(var) : 0;
}
