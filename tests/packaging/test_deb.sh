#!/usr/bin/env bash
# Builds the .deb with CPack, lists and unpacks it into a temporary root, and checks that what it
# installs runs and validates: the binaries, the desktop entry, the metainfo and the MIME type.
# Usage: test_deb.sh BUILD_DIR GOLDEN_DIR VERSION
set -euo pipefail
build=$1 golden=$2 version=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$tmp/pkg" > "$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack"; }
deb=$(ls "$tmp"/pkg/*.deb)
echo "package: $(basename "$deb")"

dpkg-deb -c "$deb" > "$tmp/contents"
for f in usr/bin/quantbench usr/bin/quantbench-cli \
         usr/share/applications/org.quantbench.QuantBench.desktop \
         usr/share/icons/hicolor/scalable/apps/org.quantbench.QuantBench.svg \
         usr/share/metainfo/org.quantbench.QuantBench.metainfo.xml \
         usr/share/mime/packages/org.quantbench.QuantBench.xml; do
  grep -q " \./$f\$" "$tmp/contents" || fail "package lacks $f"
done

# Dependencies come from dpkg-shlibdeps: the Qt, QCustomPlot and OpenMP libraries we link.
depends=$(dpkg-deb -f "$deb" Depends)
echo "depends: $depends"
for lib in libqt6widgets6 libqcustomplot2.1-qt6 libgomp1 libc6 libstdc++6; do
  grep -q "$lib" <<< "$depends" || fail "Depends lacks $lib"
done
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version is not $version"

dpkg-deb -x "$deb" "$tmp/root"
out=$("$tmp/root/usr/bin/quantbench-cli" --version)
[ "$out" = "quantbench-cli $version" ] || fail "quantbench-cli --version printed '$out'"
out=$(QT_QPA_PLATFORM=offscreen timeout 20 "$tmp/root/usr/bin/quantbench" --version) || fail "quantbench --version did not exit"
grep -q "$version" <<< "$out" || fail "quantbench --version printed '$out'"
"$tmp/root/usr/bin/quantbench-cli" inspect "$golden/models/tiny.f16.gguf" > "$tmp/inspect"
grep -q "blk.0.ffn_up.weight" "$tmp/inspect" || fail "inspect from the package shows no tensors"
grep -q "^21 tensors" "$tmp/inspect" || fail "inspect from the package miscounts tensors"

desktop-file-validate "$tmp/root/usr/share/applications/org.quantbench.QuantBench.desktop" || fail "desktop entry"
appstreamcli validate --no-net "$tmp/root/usr/share/metainfo/org.quantbench.QuantBench.metainfo.xml" || fail "metainfo"

# The MIME definition compiles and maps both the glob and the magic to our type.
mkdir -p "$tmp/mime/packages"
cp "$tmp/root/usr/share/mime/packages/org.quantbench.QuantBench.xml" "$tmp/mime/packages/"
update-mime-database "$tmp/mime" || fail "update-mime-database"
grep -q "application/x-gguf:\*\.gguf" "$tmp/mime/globs" || fail "MIME glob *.gguf"
grep -q "application/x-gguf" "$tmp/mime/magic" || fail "MIME magic GGUF"
echo "1 passed, 0 failed"
