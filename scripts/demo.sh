#!/usr/bin/env bash
# make demo: serve a sample Celigo account with celigo-mock on a free loopback port, sync it, make one
# provisioning change, and show the sync file with baton's CLI. Nothing leaves this machine.
#
# Usage: scripts/demo.sh [DIR]. DIR (default dist) holds baton-celigo, celigo-mock and baton, which
# `make demo` builds first in one go build (make build-all).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-dist}"
for b in baton-celigo celigo-mock baton; do
	[ -x "$bin/$b" ] || { echo "demo: $bin/$b is missing: run 'make demo', which builds it"; exit 1; }
done

work="$(mktemp -d)"
mock_pid=""
cleanup() {
	[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

c1z="${DEMO_C1Z:-demo.c1z}"
rm -f "$c1z"
plain() { sed 's/\x1b\[[0-9;]*m//g'; }
# Colour only for a person at a terminal: none into a pipe, a file or a CI log, and none with NO_COLOR
# (https://no-color.org) set to anything.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then colour() { cat; }; else colour() { plain; }; fi
say() { printf '== %s\n' "$*"; }
# baton's CLI on the demo file, without its trailing blank lines; its stderr only when it fails (pebble
# chatters there).
baton() {
	"$bin/baton" "$@" -f "$c1z" >"$work/baton.out" 2>"$work/baton.err" || { cat "$work/baton.err" >&2; return 1; }
	awk 'NF { for (; blank > 0; blank--) print ""; print; next } { blank++ }' "$work/baton.out" | colour
}
# The connector, as a person at a terminal runs it: readable log lines instead of JSON.
connector() {
	BATON_CELIGO_ACCESS_TOKEN=demo-token "$bin/baton-celigo" --base-url "$url" -f "$c1z" --log-format console "$@"
}
# A sync: only warnings and errors (none, normally). Pebble's own "Found 0 WALs" line is not news.
sync() {
	connector --log-level warn >"$work/sync.log" 2>&1 || { cat "$work/sync.log"; return 1; }
	grep -v 'Found [0-9]* WALs' "$work/sync.log" || true
}
# A provisioning run, showing only the connector's own outcome line (the message column of the console log).
provision() {
	echo "\$ $bin/baton-celigo ... $*"
	connector "$@" >"$work/prov.log" 2>&1 || { cat "$work/prov.log"; return 1; }
	outcome
}
outcome() { awk -F'\t' '$4 ~ /^baton-celigo:/ { print "  " $4 }' "$work/prov.log"; }

"$bin/celigo-mock" -addr 127.0.0.1:0 -token demo-token -users 25 -integrations 8 -page-size 10 \
	-ready-file "$work/url" >"$work/mock.log" 2>&1 &
mock_pid=$!
# Wait for its address while it runs: a loaded machine may take a while, a mock that died will never answer.
for _ in $(seq 1 600); do [ -s "$work/url" ] || ! kill -0 "$mock_pid" 2>/dev/null && break; sleep 0.1; done
[ -s "$work/url" ] || { echo "celigo-mock did not start:"; cat "$work/mock.log"; exit 1; }
url="$(cat "$work/url")"
say "celigo-mock serves a sample account (25 users, 8 integrations) at $url"

say "sync"
echo "\$ $bin/baton-celigo --base-url $url -f $c1z --log-format console --log-level warn"
sync

say "what $c1z holds: $bin/baton stats -f $c1z"
# Its tables: the sync's metadata (as wide as the sync token), the totals, the counts per type; the last.
baton stats | awk 'BEGIN { RS = "" } NR == 3'

baton resources -t user >"$work/users"
say "users, 8 of $(($(wc -l <"$work/users") - 1)): $bin/baton resources -f $c1z -t user"
head -n 9 "$work/users"

# Invitations as ConductorOne sees them: an invitation not accepted yet is Pending, a declined one Disabled.
say "invitations pending: the User Status column of $bin/baton export csv -f $c1z"
baton export csv --out "$work/export.csv" >/dev/null
status_of() { awk -F, -v e="$1" '$1 == "Identity" && $6 == e { print $5 }' "$work/export.csv"; }
awk -F, '$1 == "Identity" && $5 == "Pending" { print "  " $6 ": " $5 }' "$work/export.csv" | LC_ALL=C sort
# One declined invitation (status details "invitation declined"), sent again with the reinvite_user action.
baton resources -t user -o json | sed 's/{"resource":{"id"/\n&/g' | grep '"details":"invitation declined"' | head -n 1 >"$work/declined" || true
declined="$(grep -o '"resource":"[^"]*"' "$work/declined" | head -n 1 | cut -d'"' -f4 || true)"
declined_email="$(grep -o '"address":"[^"]*"' "$work/declined" | head -n 1 | cut -d'"' -f4 || true)"
if [ -n "$declined" ]; then
	say "provisioning: re-invite $declined_email (user $declined), who declined: $(status_of "$declined_email")"
	provision --invoke-action reinvite_user --invoke-action-resource-type user --invoke-action-args "{\"user_id\":\"$declined\"}"
	sync >/dev/null # again, so the file shows the change
	baton export csv --out "$work/export.csv" >/dev/null
	echo "  $declined_email is now: $(status_of "$declined_email")"
fi

say "administrators: $bin/baton principals -f $c1z -e role:administrator:assigned"
baton principals -e role:administrator:assigned

# One user without an account role: their access is only what their integration entries give.
baton grants | plain | { grep -o '^role:[a-z_]*:assigned:user:[0-9a-f]*' || true; } | cut -d: -f5 | sort -u >"$work/with-role"
user="$(plain <"$work/users" | awk 'NR > 1 {print $1}' | grep -vxF -f "$work/with-role" | head -n 1 || true)"
integration="$(baton resources -t integration | plain | awk 'NR == 2 {print $1}')"
if [ -n "$user" ] && [ -n "$integration" ]; then
	say "provisioning: grant manage on one integration to user $user, twice"
	grant=(--grant-entitlement "integration:$integration:manage" --grant-principal-type user --grant-principal "$user")
	provision "${grant[@]}"
	echo "\$ (the same again)"
	connector "${grant[@]}" >"$work/prov.log" 2>&1 || { cat "$work/prov.log"; exit 1; }
	outcome
	sync >/dev/null # again, so the file shows the change
	say "their effective access: $bin/baton access -f $c1z --resource-type user --resource $user"
	baton access --resource-type user --resource "$user" | head -n 12
fi

# Who can drive Celigo from an AI agent: each MCP server's users, after the roles' grants are expanded.
say "who can use each MCP server: $bin/baton principals -f $c1z -e mcp_server:<id>:read (and :write)"
baton entitlements -t mcp_server | plain >"$work/mcp-ents"
principals() {
	baton principals -e "$1" | plain | awk -F' *[|] *' '$3 == "User" {print $2}' | LC_ALL=C sort
}
names() { paste -sd, - | sed 's/,/, /g; s/^$/nobody/'; }
baton resources -t mcp_server | plain | awk -F' *[|] *' 'NR > 1 && $1 != "" {print $1 "\t" $2}' |
	while IFS=$'\t' read -r id name; do
		if ! grep -q "^mcp_server:$id:read " "$work/mcp-ents"; then
			echo "  $name: an external identity provider decides who uses it (not synced)"
			continue
		fi
		principals "mcp_server:$id:read" >"$work/read"
		principals "mcp_server:$id:write" >"$work/write"
		echo "  $name"
		echo "    read and write: $(LC_ALL=C comm -12 "$work/read" "$work/write" | names)"
		echo "    read only: $(LC_ALL=C comm -23 "$work/read" "$work/write" | names)"
	done

# The README's by-hand snippet, exactly as written there, in a scratch directory whose dist/ is $bin, with a
# time limit; the fake it starts is stopped whatever happens.
say "the README's \"try provisioning by hand\" snippet"
awk '/<!-- make demo runs this block -->/ { f = 1; next } f && /^```sh/ { g = 1; next } g && /^```/ { exit } g' \
	README.md >"$work/snippet.sh"
[ -s "$work/snippet.sh" ] || { echo "demo: README.md has no block marked for make demo"; exit 1; }
mkdir -p "$work/by-hand"
ln -s "$(cd "$bin" && pwd)" "$work/by-hand/dist"
(cd "$work/by-hand" && timeout 120 bash -euo pipefail -c \
	"trap 'exit 1' TERM INT; trap 'kill \"\${mock:-}\" 2>/dev/null; wait' EXIT; $(cat "$work/snippet.sh")" 2>&1 | colour | tail -n 4)

say "done: $bin/baton --help shows more (-f $c1z); README.md says how to run against your own account"
