#!/usr/bin/env bash
# Fuzzes CloudStack's response envelope decoding, error mapping and async
# job results (VizorCloudStack's CloudStackEnvelope, AsyncJobResult and
# CSValue) with libFuzzer for a bounded time: arbitrary bodies, statuses,
# content types and command names,
# seeded with bodies shaped as CloudStack 4.x sends them. Exits non-zero on
# any crash, sanitizer report or broken property (see Fuzz/CloudStackFuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${CLOUDSTACK_FUZZ_SECONDS:-25}
work=$(mktemp -d /tmp/vizor-cloudstack-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
name="CloudStack envelope"
. scripts/fuzz.d/lib/libfuzzer.sh

# The envelope, job result reader, configuration and value tree are pure; the
# client itself needs AsyncHTTPClient, so only the backend's name is taken
# from its file.
mkdir -p "$work/src" "$work/seeds"
for f in Sources/Backends/CloudStack/Client/CSValue.swift Sources/Backends/CloudStack/Client/CloudStackEnvelope.swift \
         Sources/Backends/CloudStack/Client/AsyncJobResult.swift Sources/Backends/CloudStack/Client/CloudStackConfiguration.swift \
         Sources/Backends/Kit/*.swift; do
  sed '/^import BackendKit$/d' "$f" > "$work/src/$(echo "$f" | tr / _)"
done
grep -E '^public let cloudstackBackendName = ' Sources/Backends/CloudStack/Client/CloudStackClient.swift > "$work/src/name.swift"
[ -s "$work/src/name.swift" ] || { echo "fuzz: cloudstackBackendName not found in CloudStackClient.swift" >&2; exit 1; }
cp Fuzz/CloudStackFuzz/*.swift "$work/src/"

fuzz_build "$work/cloudstack-fuzz" "$work"/src/*.swift

echo "fuzz: making seeds"
# seed FILE STATUS-BYTE TYPE-BYTE COMMAND BODY (bytes as the entry point reads them)
seed() { { printf "\\x$2\\x$3"; printf '%s\n' "$4"; printf '%s' "$5"; } > "$work/seeds/$1"; }
seed list 00 00 listVirtualMachines '{"listvirtualmachinesresponse":{"count":2,"virtualmachine":[{"id":"4f2d8a3e-9c1b-4e5f-8a7d-6b3c2e1f0a9d","name":"win11-build","displayname":"win11-build","state":"Stopped","haenable":false,"cpunumber":2,"memory":4096,"nic":[{"id":"a1","macaddress":"02:00:4c:5e:00:01","isdefault":true}],"tags":[{"key":"vizor-job","value":"j1"}]},{"id":"b2","name":"x","state":"Running","cpuused":"12.5%"}]}}'
seed empty 00 01 listTemplates '{"listtemplatesresponse":{}}'
seed async 01 00 deployVirtualMachine '{"deployvirtualmachineresponse":{"id":"d6a1c0de-1","jobid":"9a1b2c3d-4e5f"}}'
seed job 02 00 queryAsyncJobResult '{"queryasyncjobresultresponse":{"accountid":"a","cmd":"org.apache.cloudstack.api.command.user.vm.DeployVMCmd","created":"2024-04-20T12:00:00+0000","jobid":"9a1b","jobprocstatus":0,"jobresultcode":530,"jobresulttype":"object","jobstatus":2,"jobresult":{"errorcode":530,"errortext":"Unable to create a deployment for VM"}}}'
seed jobok 02 00 queryAsyncJobResult '{"queryasyncjobresultresponse":{"jobid":"9a1b","jobstatus":1,"jobresultcode":0,"jobresulttype":"object","jobresult":{"virtualmachine":{"id":"d6a1","state":"Stopped"}}}}'
seed jobrun 02 00 queryAsyncJobResult '{"queryasyncjobresultresponse":{"jobid":"9a1b","jobstatus":0,"jobprocstatus":0,"jobresultcode":0}}'
seed jobcancel 02 01 queryAsyncJobResult '{"queryasyncjobresultresponse":{"jobid":"9a1b","jobstatus":3,"jobresultcode":"0"}}'
seed e431 05 00 listZones '{"listzonesresponse":{"uuidList":[],"errorcode":431,"cserrorcode":9999,"errortext":"Unable to execute API command listzones due to invalid value. Invalid parameter id value=abc due to incorrect long value format, or entity does not exist or due to incorrect parameter annotation for the field in api cmd class."}}'
seed e401 03 00 listZones '{"errorresponse":{"uuidList":[],"errorcode":401,"errortext":"unable to verify user credentials and/or request signature"}}'
seed e432 06 01 fooBar '{"errorresponse":{"uuidList":[],"errorcode":432,"cserrorcode":9999,"errortext":"The given command does not exist or it is not available for the user"}}'
seed gateway 08 02 listVirtualMachines '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'
seed numbers 00 00 getVMPassword '{"getvmpasswordresponse":{"password":{"encryptedpassword":"aGVsbG8="},"n":-9223372036854775808,"d":1.5e300,"b":"true","e":null}}'

# Nesting far past any JSON parser's limit: refused, never a stack overflow.
seed deep 00 00 listZones "$(python3 -c 'print("{\"listzonesresponse\":" + "["*30000 + "]"*30000 + "}", end="")')"

fuzz_run "$work/cloudstack-fuzz" "$seconds" 65536 "$work/seeds"
