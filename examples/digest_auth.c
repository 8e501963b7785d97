/*
 * digest_auth.c - HTTP Digest authentication (the C twin of urllib2's
 * HTTPDigestAuthHandler, seeds/003):
 *
 *     ah = urllib2.HTTPDigestAuthHandler()
 *     ah.add_password(realm, uri, user, password)
 *     urllib2.install_opener(urllib2.build_opener(ah))
 *     r = urllib2.urlopen(URL)
 *
 * The first request is answered with 401 and a challenge; weft answers it
 * (RFC 7616: MD5 or SHA-256, qop=auth) and reuses the nonce for the next
 * requests, so only the first costs a round trip.
 *
 * Usage: digest_auth URL USER PASSWORD
 */
#include <stdio.h>

#include "weft.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: digest_auth URL USER PASSWORD\n");
        return 2;
    }
    weft_http_client *client;
    if (weft_http_client_new(NULL, &client) < 0)
        return 1;
    weft_http_session *s = weft_http_client_session(client);
    weft_http_session_set_auth(s, WEFT_HTTP_AUTH_DIGEST, argv[2], argv[3]);
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        weft_http_response *r;
        rc = weft_http_session_get(s, argv[1], NULL, &r);
        if (rc < 0) {
            fprintf(stderr, "digest_auth: %s\n", weft_strerror(rc));
            break;
        }
        const char *body;
        rc = weft_http_response_read_all(r, &body, NULL);
        printf("%d %s (after %zu challenge%s): %s\n", weft_http_response_status(r),
               weft_http_response_reason(r), weft_http_response_history_count(r),
               weft_http_response_history_count(r) == 1 ? "" : "s", rc == 0 ? body : "");
        weft_http_response_free(r);
    }
    weft_http_client_free(client);
    return rc < 0;
}
