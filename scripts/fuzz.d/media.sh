#!/usr/bin/env bash
# Fuzzes the ISO 9660, El Torito, UDF, WIM and XML parsers of VizorMedia with
# libFuzzer (swiftc -sanitize=fuzzer,address) for a bounded time, seeded from
# fixtures made here by genisoimage, mkudffs, pycdlib and wimlib-imagex.
# Exits non-zero on any crash or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${MEDIA_FUZZ_SECONDS:-45}
work=$(mktemp -d /tmp/vizor-media-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# One module: the Media readers plus the BackendKit contracts they use.
mkdir -p "$work/src" "$work/seeds" "$work/corpus" "$work/tree/sources"
for f in $(find Sources/Backends/Media -name '*.swift' -not -path '*/Writer/*') Sources/Backends/Kit/*.swift; do
  sed '/^import BackendKit$/d' "$f" > "$work/src/$(echo "$f" | tr / _)"
done
cp Fuzz/MediaFuzz/*.swift "$work/src/"

echo "fuzz: building libFuzzer target"
swiftc -sanitize=fuzzer,address -parse-as-library -module-name VizorMediaFuzz -Onone -g \
  "$work"/src/*.swift -o "$work/media-fuzz"

echo "fuzz: making seeds"
printf '[Available UI Languages]\r\nen-US = 3\r\n' > "$work/tree/sources/lang.ini"
echo x > "$work/tree/readme.txt"
wimlib-imagex capture "$work/tree" "$work/seeds/install.wim" "Windows 11 Pro" --compress=none \
  --image-property WINDOWS/ARCH=9 --image-property 'WINDOWS/LANGUAGES/LANGUAGE[1]=en-US' \
  --image-property WINDOWS/VERSION/BUILD=22621 >/dev/null 2>&1
wiminfo "$work/seeds/install.wim" --extract-xml="$work/seeds/wim.xml"
cp "$work/seeds/install.wim" "$work/tree/sources/"
genisoimage -quiet -udf -J -iso-level 3 -V FUZZ -o "$work/seeds/bridge.iso" "$work/tree"
genisoimage -quiet -R -J -o "$work/seeds/rr.iso" "$work/tree"
truncate -s 1M "$work/seeds/udf512.img"
mkudffs --media-type=hd --blocksize=512 --udfrev=2.01 "$work/seeds/udf512.img" >/dev/null
python3 - "$work/seeds/pycd.iso" <<'PY'
import io, sys, pycdlib
iso = pycdlib.PyCdlib()
iso.new(udf='2.60', joliet=3, vol_ident='FUZZ')
iso.add_fp(io.BytesIO(b'\xeb' * 2048), 2048, '/BOOT.IMG;1', joliet_path='/boot.img', udf_path='/boot.img')
iso.add_eltorito('/BOOT.IMG;1', bootcatfile='/BOOT.CAT;1', udf_bootcatfile='/boot.cat')
iso.add_eltorito('/BOOT.IMG;1', efi=True, platform_id=0xef)
iso.write(sys.argv[1])
PY

echo "fuzz: running for ${seconds}s"
"$work/media-fuzz" "$work/corpus" "$work/seeds" -max_total_time="$seconds" -max_len=1048576 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -n 25
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "fuzz: media parsers FAILED (exit $status)" >&2
  exit "$status"
fi
echo "fuzz: media parsers OK"
