#!/usr/bin/env bash
# Fuzzes the media exposure server's parsers of untrusted input with
# libFuzzer for a bounded time: the HTTP request-target sanitiser, the Range
# header, HTTP dates and conditional headers, and the FUSE-independent
# extent mapper. Seeded with the attacks and headers the HTTP tests use.
# Exits non-zero on any crash, sanitizer report or broken property (see
# Fuzz/ExposureFuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${EXPOSURE_FUZZ_SECONDS:-25}
work=$(mktemp -d /tmp/vizor-exposure-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
name="exposure parsers"
. scripts/fuzz.d/lib/libfuzzer.sh

# The pure HTTP parsers and the extent mapper (with the media types it maps);
# the NIO server, FUSE and Samba parts are left out.
mkdir -p "$work/src" "$work/seeds"
for f in Sources/Backends/Exposure/HTTP/RequestTarget.swift Sources/Backends/Exposure/HTTP/ByteRanges.swift \
         Sources/Backends/Exposure/HTTP/Validators.swift Sources/Backends/Exposure/Module.swift \
         Sources/Backends/Exposure/Media/*.swift \
         $(find Sources/Backends/Media -name '*.swift' -not -path '*/Writer/*') Sources/Backends/Kit/*.swift; do
  sed -e '/^import BackendKit$/d' -e '/^import VizorMedia$/d' "$f" > "$work/src/$(echo "$f" | tr / _)"
done
cp Fuzz/ExposureFuzz/*.swift "$work/src/"

fuzz_build "$work/exposure-fuzz" "$work"/src/*.swift

echo "fuzz: making seeds"
n=0
while IFS= read -r line; do n=$((n + 1)); printf '%s' "$line" > "$work/seeds/target-$n"; done <<'LIST'
/media/win11-x64/sources/install.wim
/media/win11-x64/BOOT/BCD?x=1#y
/media/win11-x64/../../etc/passwd
/media/win11-x64/%2e%2e/%2E%2e/etc/passwd
/media/win11-x64/sources%2finstall.wim
/media/win11-x64/sources%5cinstall.wim
/media/win11-x64/a%00b
/media/..%2f/x
/media/win11-x64//x
/media/win11-x64/C:/Windows
/artefacts/node1/autounattend.xml
/artefacts/%C3%A9t%C3%A9/%F0%9F%98%80
/media/win11-x64/%zz
http://evil/media/x/y
LIST
for h in 'bytes=0-0' 'bytes=-512' 'bytes=100-' 'bytes=0-1,5-9, 20-' 'BYTES= 1-2 ,,3-4' 'bytes=18446744073709551615-' 'bytes=5-1' 'bytes=0-99999999999999999999'; do
  n=$((n + 1)); { printf '\x00\x00\x00\x00\x00\x10\x00\x00'; printf '%s' "$h"; } > "$work/seeds/range-$n"
done
for d in 'Sun, 06 Nov 1994 08:49:37 GMT' 'Sat, 29 Feb 2020 23:59:60 GMT' 'Mon, 31 Feb 2021 00:00:00 GMT'; do
  n=$((n + 1)); printf '%s' "$d" > "$work/seeds/date-$n"
done
# extents: count, then (flags, offset hi, offset lo, length/3) each; embedded?, size/5, from/4, to/5
printf '\x03\x00\x00\x10\x20\x01\x00\x40\x08\x00\x00\x80\x10\x01\x30\x02\x40' > "$work/seeds/extents-1"
printf '\x00\x00\x07\x05\x09' > "$work/seeds/extents-embedded"

fuzz_run "$work/exposure-fuzz" "$seconds" 8192 "$work/seeds"
