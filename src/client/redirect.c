/*
 * redirect.c - what a redirect means (RFC 9110 §15.4): which statuses are
 * followed, how the method changes (303 -> GET, and 301/302 POST -> GET as
 * every browser does), where Location points (resolved against the URL of
 * the response that sent it), and whether credentials may follow it.
 */
#include <string.h>

#include "client/client_int.h"

bool weft__hc_is_redirect(const weft_http_response *r)
{
    switch (r->status) {
    case 301: case 302: case 303: case 307: case 308:
        return weft_http_response_header(r, "Location") != NULL;
    default:
        return false;
    }
}

const char *weft__hc_redirect_method(int status, const char *method, bool *body_dropped)
{
    *body_dropped = false;
    if (status == 303 && strcmp(method, "HEAD") != 0) {
        *body_dropped = true;
        return "GET";
    }
    if ((status == 301 || status == 302) && strcmp(method, "POST") == 0) {
        *body_dropped = true;
        return "GET";
    }
    return method;
}

int weft__hc_redirect_url(const weft_http_response *r, weft_url **out)
{
    const char *loc = weft_http_response_header(r, "Location");
    if (!loc || !r->url)
        return WEFT_EURL;
    return weft__hc_parse_http_url(r->url->u, loc, strlen(loc), out);
}

bool weft__hc_same_auth_scope(const weft_url *from, const weft_url *to)
{
    if (weft_url_same_origin(from, to))
        return true;
    /* requests' rule: http://h:80 -> https://h:443 keeps the credentials. */
    return strcmp(weft_url_hostname(from), weft_url_hostname(to)) == 0 &&
           strcmp(weft_url_scheme(from), "http") == 0 && weft_url_port(from) == 80 &&
           strcmp(weft_url_scheme(to), "https") == 0 && weft_url_port(to) == 443;
}
