#!/usr/bin/env bash
# Fuzzes VizorRazor's decoding of Razor bodies (discovery, collections and
# members, command receipts and records, node logs, error bodies) with
# libFuzzer for a bounded time, seeded with bodies shaped as razor-server
# sends them. Exits non-zero on any crash, sanitizer report or broken
# property (see Fuzz/RazorFuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${RAZOR_FUZZ_SECONDS:-25}
work=$(mktemp -d /tmp/vizor-razor-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
name="Razor decoding"
. scripts/fuzz.d/lib/libfuzzer.sh

# The decoding files are pure; the client and transport (AsyncHTTPClient) are left out.
mkdir -p "$work/src" "$work/seeds"
for f in Sources/Backends/Razor/RazorJSON.swift Sources/Backends/Razor/RazorModels.swift \
         Sources/Backends/Razor/RazorDecoding.swift Sources/Backends/Razor/RazorErrors.swift Sources/Backends/Kit/*.swift; do
  sed '/^import BackendKit$/d' "$f" > "$work/src/$(echo "$f" | tr / _)"
done
cp Fuzz/RazorFuzz/*.swift "$work/src/"

fuzz_build "$work/razor-fuzz" "$work"/src/*.swift

echo "fuzz: making seeds"
# seed FILE STATUS-BYTE BODY: the first byte picks the HTTP status (0 = 200, 4 = 400, 7 = 404, 9 = 409, 12 = 500).
seed() { { printf "\\x$2"; printf '%s' "$3"; } > "$work/seeds/$1"; }
b=http://razor.lab:8150/api
seed api 00 '{"commands":[{"name":"create-repo","rel":"http://api.puppetlabs.com/razor/v1/commands/create-repo","id":"'$b'/commands/create-repo"},{"name":"register-node","rel":"x","id":"'$b'/commands/register-node"}],"collections":[{"name":"nodes","rel":"http://api.puppetlabs.com/razor/v1/collections/nodes","id":"'$b'/collections/nodes","params":{"start":{"type":"number"},"limit":{"type":"number"},"depth":{"type":"number"}}},{"name":"tasks","rel":"x","id":"'$b'/collections/tasks"}],"version":{"server":"v1.9.3"}}'
seed nodes 00 '{"spec":"http://api.puppetlabs.com/razor/v1/collections/nodes","total":2,"items":[{"spec":"http://api.puppetlabs.com/razor/v1/collections/nodes/member","id":"'$b'/collections/nodes/node1","name":"node1"},{"id":"'$b'/collections/nodes/node2","name":"node2"}]}'
seed node 00 '{"spec":"http://api.puppetlabs.com/razor/v1/collections/nodes/member","id":"'$b'/collections/nodes/node1","name":"node1","hw_info":{"mac":["52-54-00-aa-bb-cc"],"net0":"52:54:00:aa:bb:cc"},"dhcp_mac":"52-54-00-aa-bb-cc","log":{"id":"'$b'/collections/nodes/node1/log","name":"log"},"tags":[],"facts":{"memorysize_mb":"4096.00","is_virtual":true},"metadata":{"vizor_job":"j1"},"state":{"installed":false,"stage":"boot_wim"},"hostname":"win-1.lab","root_password":"x","last_checkin":"2024-04-20T12:00:00+00:00"}'
seed log 00 '{"spec":"http://api.puppetlabs.com/razor/v1/collections/nodes/log","items":[{"timestamp":"2024-04-20T12:05:03+00:00","severity":"info","event":"stage_done","stage":"finished"},{"timestamp":"2024-04-20T12:01:00.123+00:00","severity":"info","event":"boot","task":"windows","template":"boot_wim","repo":"win11"},{"timestamp":"2024-04-20T12:00:59Z","msg":"Setup started","severity":"warn"},{"timestamp":"2024-04-20T12:00:00+00:00","action":"reboot","policy":"p1"}]}'
seed receipt 02 '{"id":"'$b'/collections/nodes/node7","name":"node7","spec":"http://api.puppetlabs.com/razor/v1/collections/nodes/member","command":"'$b'/collections/commands/12"}'
seed result 03 '{"result":"node node3 deleted","command":"'$b'/collections/commands/13"}'
seed command 00 '{"spec":"http://api.puppetlabs.com/razor/v1/collections/commands/member","id":"'$b'/collections/commands/12","name":12,"command":"register-node","params":{"hw_info":{"net0":"52:54:00:aa:bb:cc"}},"errors":[{"exception":"ArgumentError","message":"hw_info must have a MAC","attempted_at":"2024-04-20T12:00:00+00:00"},{"message":"again"}],"status":"failed","submitted_at":"2024-04-20T12:00:00+00:00","finished_at":"2024-04-20T12:00:01+00:00"}'
seed e400 04 '{"error":"name must be at least 1 characters"}'
seed e404 07 '{"error":"no node matched name=node9"}'
seed e409 09 '{"error":"The repo win11 already exists, and the url fields do not match"}'
seed e422 0b '{"error":"invalid value","details":"enabled should be a boolean, but was actually a string"}'
seed e500 0c '<html><body><h1>Internal Server Error</h1></body></html>'
seed numbers 00 '{"items":[1,-1.5,1e300,9223372036854775807,-9223372036854775808,true,null,"\u00e9\ud83d\ude00"],"total":"8"}'
# A past finding: a fraction Double cannot hold made a double that came back as an int.
seed wholefraction 00 '{"items":[2.0,-9223372036858547.075808,-0.0,1e300],"total":"4"}'
# A past finding: a log entry whose event is "" decoded to an entry with no event.
seed emptyevent 00 '{"spec":"http://api.puor/v1/collections/nodes/log","items":[{"timestamp":"2024-04-20T12:05:03+00:00","severity":"info","event":""}]}'

# Nesting far past any JSON parser's limit: refused, never a stack overflow.
seed deep 00 "$(python3 -c 'print("{\"items\":" + "["*30000 + "]"*30000 + "}", end="")')"

fuzz_run "$work/razor-fuzz" "$seconds" 65536 "$work/seeds"
