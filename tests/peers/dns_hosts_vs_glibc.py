#!/usr/bin/env python3
"""Peer test: weft's /etc/hosts answers agree with glibc's.

Runs examples/dns_resolve on "localhost" and every name /etc/hosts lists,
and compares the set of (name, address) pairs with Python's
socket.getaddrinfo (glibc, nss "files"). Only names from /etc/hosts are
used, so neither side sends a DNS query. Usage: dns_hosts_vs_glibc.py BUILD_DIR
"""
import ipaddress
import socket
import subprocess
import sys


def hosts_names():
    names = ["localhost"]
    with open("/etc/hosts") as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) < 2:
                continue
            try:
                ipaddress.ip_address(line[0])
            except ValueError:
                continue
            for n in line[1:]:
                if n not in names and "%" not in line[0]:
                    names.append(n)
    return names[:20]


def main():
    build = sys.argv[1]
    names = hosts_names()
    out = subprocess.run([f"{build}/examples/dns_resolve", *names], capture_output=True,
                         text=True, timeout=30)
    weft = set()
    for line in out.stdout.splitlines():
        if " -> " in line:
            name, rest = line.split(" -> ", 1)
            weft.add((name, str(ipaddress.ip_address(rest.split(" ")[0]))))
    glibc = set()
    for n in names:
        try:
            for fam, _, _, _, sa in socket.getaddrinfo(n, 80, type=socket.SOCK_STREAM):
                glibc.add((n, str(ipaddress.ip_address(sa[0].split("%")[0]))))
        except socket.gaierror:
            pass
    # Both read the same file with AF_UNSPEC, so the sets must be equal
    # (weft's RFC 6761 loopback fallback only applies when the file lacks
    # the name or the family asked for).
    if weft != glibc:
        print("weft :", sorted(weft))
        print("glibc:", sorted(glibc))
        print("FAIL: answers differ")
        return 1
    print(f"PASS: {len(names)} names, {len(weft)} addresses agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
