/*
 * decode.c - the hook between the response body and the content-coding
 * decoders: a small registry of decoders by name (the codecs register
 * gzip, deflate, br, zstd; tests a toy one), the Accept-Encoding value it
 * implies, and a stack of decoders for a Content-Encoding list ("gzip, br"
 * means gzip was applied first, so br is undone first: RFC 9110 §8.4).
 *
 * The registry is process-wide and meant to be filled at start-up (the
 * codecs do it from a constructor); it is not locked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/client_int.h"

#define MAX_DECODERS 8
#define MAX_LAYERS 4
#define MID_BUF (16u * 1024)

static const struct weft__hc_decoder_ops *reg[MAX_DECODERS];
static size_t nreg;
static char accept_value[128];

static void rebuild_accept(void)
{
    accept_value[0] = '\0';
    for (size_t i = 0; i < nreg; i++) {
        if (i)
            strncat(accept_value, ", ", sizeof accept_value - strlen(accept_value) - 1);
        strncat(accept_value, reg[i]->name, sizeof accept_value - strlen(accept_value) - 1);
    }
}

int weft__hc_register_decoder(const struct weft__hc_decoder_ops *ops)
{
    if (!ops || !ops->name || !ops->open || !ops->decode || !ops->close)
        return -EINVAL;
    for (size_t i = 0; i < nreg; i++) {
        if (strcasecmp(reg[i]->name, ops->name) == 0) {
            reg[i] = ops;
            rebuild_accept();
            return 0;
        }
    }
    if (nreg == MAX_DECODERS)
        return -ENOSPC;
    reg[nreg++] = ops;
    rebuild_accept();
    return 0;
}

const char *weft__hc_accept_encoding(void)
{
    return nreg ? accept_value : NULL;
}

static const struct weft__hc_decoder_ops *find(const char *name, size_t len)
{
    for (size_t i = 0; i < nreg; i++)
        if (strlen(reg[i]->name) == len && strncasecmp(reg[i]->name, name, len) == 0)
            return reg[i];
    /* x-gzip is gzip (RFC 9110 §8.4.1.3). */
    if (len == 6 && strncasecmp(name, "x-gzip", 6) == 0)
        return find("gzip", 4);
    return NULL;
}

struct layer {
    const struct weft__hc_decoder_ops *ops;
    void *st;
    char *mid;            /* this layer's output waiting for the next layer */
    size_t mpos, mlen;
    bool ended;
};

struct weft__hc_decoder {
    struct layer l[MAX_LAYERS]; /* l[0] is fed first: the coding applied last */
    int n;
    bool moved;                 /* the last run consumed or produced something */
};

void weft__hc_decoder_free(struct weft__hc_decoder *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n; i++) {
        d->l[i].ops->close(d->l[i].st);
        free(d->l[i].mid);
    }
    free(d);
}

int weft__hc_decoder_open(const char *ce, struct weft__hc_decoder **out)
{
    *out = NULL;
    const char *names[MAX_LAYERS];
    size_t lens[MAX_LAYERS];
    int n = 0;
    for (const char *p = ce; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t k = strcspn(p, " \t,");
        if (!k)
            break;
        if (!(k == 8 && strncasecmp(p, "identity", 8) == 0)) {
            if (n == MAX_LAYERS || !find(p, k))
                return -ENOTSUP;
            names[n] = p;
            lens[n] = k;
            n++;
        }
        p += k;
    }
    if (!n)
        return 0;
    struct weft__hc_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        struct layer *l = &d->l[i];
        l->ops = find(names[n - 1 - i], lens[n - 1 - i]);
        int err = l->ops->open(&l->st);
        if (err) {
            d->n = i;
            weft__hc_decoder_free(d);
            return err;
        }
        d->n = i + 1;
        if (i < n - 1 && !(l->mid = malloc(MID_BUF))) {
            weft__hc_decoder_free(d);
            return -ENOMEM;
        }
    }
    *out = d;
    return 0;
}

/* Run layer i on input, writing to out; recursion through the layers
 * keeps each layer's leftover output in its mid buffer. */
static int run_layer(struct weft__hc_decoder *d, int i, const char *in, size_t *inlen,
                     char *out, size_t *outlen)
{
    struct layer *l = &d->l[i];
    if (i == d->n - 1) {
        if (l->ended) {
            *inlen = 0;
            *outlen = 0;
            return 1;
        }
        int rc = l->ops->decode(l->st, in, inlen, out, outlen);
        if (rc == 1)
            l->ended = true;
        if (*inlen || *outlen)
            d->moved = true;
        return rc;
    }
    /* Fill this layer's mid buffer, then let the next layer take from it. */
    size_t used = 0;
    int rc = 0;
    if (l->mpos == l->mlen && !l->ended) {
        l->mpos = l->mlen = 0;
        size_t il = *inlen, ol = MID_BUF;
        rc = l->ops->decode(l->st, in, &il, l->mid, &ol);
        if (rc < 0)
            return rc;
        if (rc == 1)
            l->ended = true;
        used = il;
        l->mlen = ol;
        if (il || ol)
            d->moved = true;
    }
    *inlen = used;
    size_t ml = l->mlen - l->mpos;
    rc = run_layer(d, i + 1, l->mid + l->mpos, &ml, out, outlen);
    l->mpos += ml;
    if (ml)
        d->moved = true;
    if (rc < 0)
        return rc;
    if (rc == 1)
        return 1;
    return 0;
}

int weft__hc_decoder_run(struct weft__hc_decoder *d, const char *in, size_t *inlen, char *out,
                         size_t *outlen)
{
    d->moved = false;
    return run_layer(d, 0, in, inlen, out, outlen);
}

bool weft__hc_decoder_stalled(const struct weft__hc_decoder *d)
{
    return !d->moved;
}

int weft__hc_decoder_finish(struct weft__hc_decoder *d)
{
    for (int i = 0; i < d->n; i++) {
        struct layer *l = &d->l[i];
        if (l->ended)
            continue;
        int rc = l->ops->finish ? l->ops->finish(l->st) : 0;
        if (rc < 0)
            return rc;
        if (l->mpos != l->mlen)
            return WEFT_EHTTP_TRUNCATED;
    }
    return 0;
}
