#!/usr/bin/env bash
# Checks deploy/systemd/baton-celigo.service with systemd-analyze: `verify` clean, and `security` exposure
# at most 2.5 ("OK"). Run by `make deploy-check` where systemd-analyze exists.
set -euo pipefail
unit="$(dirname "$0")/baton-celigo.service"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
# verify checks that ExecStart's program exists: point a copy of the unit (the same text otherwise) at a
# stand-in, since the binary is not installed where this runs.
printf '#!/bin/sh\n' > "$dir/baton-celigo"
chmod +x "$dir/baton-celigo"
sed "s|^ExecStart=/usr/local/bin/baton-celigo|ExecStart=$dir/baton-celigo|" "$unit" > "$dir/baton-celigo.service"
out="$(systemd-analyze verify --man=no "$dir/baton-celigo.service" 2>&1)" || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "systemd-analyze verify is not clean:"; echo "$out"; exit 1; fi
score="$(systemd-analyze security --offline=true --no-pager "$unit" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
echo "baton-celigo.service: systemd-analyze verify clean, security exposure $score"
awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.5) }' || { echo "exposure '$score' is above 2.5"; exit 1; }
