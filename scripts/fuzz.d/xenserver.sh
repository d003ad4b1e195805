#!/usr/bin/env bash
# Fuzzes the XAPI XML-RPC and JSON-RPC response codecs of VizorXenServer with
# libFuzzer (swiftc -sanitize=fuzzer,address) for a bounded time, seeded from
# the recorded payloads in Tests/XenServerTests/Fixtures. Besides crashes it
# checks encode → decode → encode round trips (see Fuzz/XenServerFuzz).
# Exits non-zero on any crash, sanitizer report or broken property.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${XEN_FUZZ_SECONDS:-25}
work=$(mktemp -d /tmp/vizor-xen-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
name="XenServer codecs"
. scripts/fuzz.d/lib/libfuzzer.sh

# The codecs and the error mapper are pure; the session and client (NIO,
# AsyncHTTPClient) are left out. BackendKit supplies BackendError.
mkdir -p "$work/src" "$work/seeds" "$work/corpus"
for f in Sources/Backends/XenServer/Codec/*.swift Sources/Backends/XenServer/Client/XapiErrors.swift \
         Sources/Backends/XenServer/Module.swift Sources/Backends/Kit/*.swift; do
  sed '/^import BackendKit$/d' "$f" > "$work/src/$(echo "$f" | tr / _)"
done
cp Fuzz/XenServerFuzz/*.swift "$work/src/"

fuzz_build "$work/xen-fuzz" "$work"/src/*.swift

echo "fuzz: making seeds"
cp Tests/XenServerTests/Fixtures/*.xml Tests/XenServerTests/Fixtures/*.json "$work/seeds/"
# The recorded results wrapped as the JSON-RPC v2 and v1 responses xapi sends.
python3 - "$work/seeds" Tests/XenServerTests/Fixtures/xapi-ct-*.json <<'PY'
import json, sys
out = sys.argv[1]
n = 0
for path in sys.argv[2:]:
    for case in json.load(open(path)).values():
        for method, answer in case.get("expected_result", {}).items():
            result = answer.get("result")
            n += 1
            open(f"{out}/v2-{n}.json", "w").write(json.dumps({"jsonrpc": "2.0", "result": result, "id": n}))
            open(f"{out}/v1-{n}.json", "w").write(json.dumps({"result": result, "error": None, "id": n}))
PY
printf '%s' '{"jsonrpc":"2.0","error":{"code":1,"message":"SESSION_INVALID","data":["OpaqueRef:1c6b"]},"id":3}' > "$work/seeds/v2-error.json"
printf '%s' '{"result":null,"error":["HOST_IS_SLAVE","10.0.0.2"],"id":"4"}' > "$work/seeds/v1-error.json"
printf '%s' '{"result":"\ud83d\ude00 \u00e9\n","id":5,"x":[1.5e300,-Infinity,NaN,9223372036854775807]}' > "$work/seeds/escapes.json"
cat > "$work/seeds/fault.xml" <<'XML'
<?xml version="1.0"?>
<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>-32601</int></value></member>
<member><name>faultString</name><value><string>no such method</string></value></member></struct></value></fault></methodResponse>
XML
cat > "$work/seeds/types.xml" <<'XML'
<?xml version="1.0"?>
<methodResponse><params><param><value><struct>
<member><name>Status</name><value>Success</value></member>
<member><name>Value</name><value><struct>
<member><name>i</name><value><i8>-9223372036854775808</i8></value></member>
<member><name>b</name><value><boolean>1</boolean></value></member>
<member><name>d</name><value><double>inf</double></value></member>
<member><name>t</name><value><dateTime.iso8601>20240420T12:00:00Z</dateTime.iso8601></value></member>
<member><name>s</name><value><string>a &amp; b &#x1F600; <![CDATA[<raw>]]></string></value></member>
<member><name>a</name><value><array><data><value/><value><nil/></value><value><struct/></value></data></array></value></member>
</struct></value></member></struct></value></param></params></methodResponse>
XML

# Nesting past the scanner's depth limit (a stack overflow before the limit).
python3 -c 'import sys; n=520; sys.stdout.write("<methodResponse><params><param>" + "<value><array><data>"*n + "</data></array></value>"*n + "</param></params></methodResponse>")' > "$work/seeds/deep.xml"
python3 -c 'import sys; n=520; sys.stdout.write("{\"result\":" + "["*n + "]"*n + "}")' > "$work/seeds/deep.json"

fuzz_run "$work/xen-fuzz" "$seconds" 65536 "$work/seeds"
