/*
 * cookiejar.c - load a Netscape/curl cookie file and print the Cookie header
 * weft would send to a URL; optionally save the jar back out.
 *
 *   cookiejar FILE URL [OUT]
 *
 * Prints the header value on stdout (an empty line when no cookie applies)
 * and the number of cookies loaded on stderr. Exit status 1 on errors.
 * tests/peers/curl_cookies.sh uses it to check files written by curl -c,
 * and that curl -b reads the files weft writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft.h"

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s FILE URL [OUT]\n", argv[0]);
        return 2;
    }
    time_t now = time(NULL);
    weft_url *url;
    int rc = weft_url_parse(argv[2], strlen(argv[2]), &url);
    if (rc) {
        fprintf(stderr, "%s: %s\n", argv[2], weft_strerror(rc));
        return 1;
    }
    weft_cookie_jar *jar;
    if (weft_cookie_jar_new(NULL, &jar)) {
        weft_url_free(url);
        return 1;
    }
    rc = weft_cookie_jar_load(jar, argv[1], now);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], weft_strerror(rc));
        goto out;
    }
    fprintf(stderr, "loaded %d cookies\n", rc);
    char *hdr;
    rc = weft_cookie_jar_header(jar, url, now, &hdr);
    if (rc < 0)
        goto out;
    printf("%s\n", hdr ? hdr : "");
    free(hdr);
    if (argc == 4 && (rc = weft_cookie_jar_save(jar, argv[3], now)) < 0)
        fprintf(stderr, "%s: %s\n", argv[3], weft_strerror(rc));
out:
    weft_cookie_jar_free(jar);
    weft_url_free(url);
    return rc < 0 ? 1 : 0;
}
