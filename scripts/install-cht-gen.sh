#!/usr/bin/env bash
# Installs cht-gen $CHT_GEN_VERSION (action.yml runs it; it also works on a
# laptop). The archive must match the release's checksum file and, when
# $CHT_GEN_SHA256 is set, that pinned checksum; otherwise nothing is
# installed. On a runner the folder is added to $GITHUB_PATH.
set -euo pipefail

fail() { echo "::error::install cht-gen: $*" >&2; exit 1; }

version="${CHT_GEN_VERSION:-}"
version="${version#v}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || fail "version '${version}' is not a release version (e.g. 1.4.0)"
want="${CHT_GEN_SHA256:-}"
[[ -z "$want" || "$want" =~ ^[0-9a-f]{64}$ ]] || fail "sha256 is not a lower-case hex SHA-256"
base="${CHT_GEN_RELEASES_URL:-https://github.com/cht-gen/cht-gen/releases/download}"
base="${base%/}"

case "${RUNNER_OS:-$(uname -s)}" in
  Linux) os=linux ;;
  macOS | Darwin) os=darwin ;;
  Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) fail "unsupported OS ${RUNNER_OS:-$(uname -s)}" ;;
esac
case "${RUNNER_ARCH:-$(uname -m)}" in
  X64 | x86_64 | amd64) arch=amd64 ;;
  ARM64 | arm64 | aarch64) arch=arm64 ;;
  *) fail "unsupported architecture ${RUNNER_ARCH:-$(uname -m)}" ;;
esac
ext=tar.gz
[ "$os" = windows ] && ext=zip
archive="cht-gen_${version}_${os}_${arch}.${ext}"
sums="cht-gen_${version}_checksums.txt"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fetch() { curl -fsSL --retry 3 --retry-delay 2 -o "$tmp/$1" "$base/v$version/$1" || fail "download $base/v$version/$1"; }
fetch "$archive"
fetch "$sums"

if command -v sha256sum >/dev/null; then
  got="$(sha256sum "$tmp/$archive" | cut -d' ' -f1)"
else
  got="$(shasum -a 256 "$tmp/$archive" | cut -d' ' -f1)"
fi
listed="$(awk -v f="$archive" '$2 == f { print $1 }' "$tmp/$sums")"
[ -n "$listed" ] || fail "$sums lists no $archive"
[ "$got" = "$listed" ] || fail "$archive has SHA-256 $got, $sums says $listed"
[ -z "$want" ] || [ "$got" = "$want" ] || fail "$archive has SHA-256 $got, the workflow pins $want"

# Extract into the temporary folder first: only a verified binary reaches
# $dest, and nothing else there is touched.
mkdir "$tmp/x"
if [ "$ext" = zip ]; then
  unzip -q "$tmp/$archive" -d "$tmp/x"
  name=cht-gen.exe
else
  tar -xzf "$tmp/$archive" -C "$tmp/x"
  name=cht-gen
fi
[ -f "$tmp/x/$name" ] || fail "$archive holds no $name"
chmod +x "$tmp/x/$name"
"$tmp/x/$name" --version
dest="${CHT_GEN_INSTALL_DIR:-${RUNNER_TEMP:-${HOME}/.local}/cht-gen-$version}"
mkdir -p "$dest"
mv -f "$tmp/x/$name" "$dest/$name"

if [ -n "${GITHUB_PATH:-}" ]; then echo "$dest" >> "$GITHUB_PATH"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "path=$dest" >> "$GITHUB_OUTPUT"; fi
echo "cht-gen $version installed in $dest"
