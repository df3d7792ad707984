#!/usr/bin/env bash
# make demo: sync a sample Celigo account served by celigo-mock on a free loopback port, then show what the
# c1z holds with `go tool baton`. Needs only Go; nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
mock_pid=""
cleanup() {
	[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== building baton-celigo and celigo-mock"
go build -o "$work/baton-celigo" ./cmd/baton-celigo
go build -o "$work/celigo-mock" ./cmd/celigo-mock

echo "== starting celigo-mock (25 users, 8 integrations, 10 per page)"
"$work/celigo-mock" -addr 127.0.0.1:0 -token demo-token -users 25 -integrations 8 -page-size 10 \
	-ready-file "$work/url" >"$work/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || { echo "celigo-mock did not start:"; cat "$work/mock.log"; exit 1; }
url="$(cat "$work/url")"
echo "   listening on $url"

c1z="${DEMO_C1Z:-demo.c1z}"
rm -f "$c1z"
echo "== syncing into $c1z"
BATON_CELIGO_ACCESS_TOKEN=demo-token "$work/baton-celigo" --base-url "$url" -f "$c1z" --log-level warn

echo "== go tool baton stats"
go tool baton stats -f "$c1z"
echo "== users (first 8)"
go tool baton resources -f "$c1z" -t user | head -12
for role in owner administrator; do
	echo "== who holds the $role role"
	go tool baton grants -f "$c1z" -e "role:$role:assigned"
done
plain() { sed 's/\x1b\[[0-9;]*m//g'; }
user="$(go tool baton resources -f "$c1z" -t user | plain | awk '/Patel/ {print $1; exit}')"
if [ -n "$user" ]; then
	echo "== effective access of one user ($user)"
	go tool baton access -f "$c1z" --resource-type user --resource "$user" | head -20 || true
fi
# Who can drive Celigo from an AI agent: each MCP server's users, after the roles' grants are expanded.
echo "== who can use each MCP server (go tool baton principals -f $c1z -e mcp_server:<id>:read, and :write)"
go tool baton entitlements -f "$c1z" -t mcp_server | plain >"$work/mcp-ents"
principals() {
	go tool baton principals -f "$c1z" -e "$1" | plain | awk -F' *[|] *' '$3 == "User" {print $2}' | LC_ALL=C sort
}
names() { paste -sd, - | sed 's/,/, /g; s/^$/nobody/'; }
go tool baton resources -f "$c1z" -t mcp_server | plain | awk -F' *[|] *' 'NR > 1 && $1 != "" {print $1 "\t" $2}' |
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
echo "== done: inspect more with 'go tool baton --help' (-f $c1z)"
