# Sourced by scripts/run and scripts/test (not run): the one list of what Vizor
# needs from the system, and the functions that install what is missing.
# Debian 12 (bookworm) package names; the Swift toolchain itself is not here.

# What `swift build` needs beside the toolchain. The toolchain's own needs on
# Debian 12: a C compiler's start files and runtime (gcc, libc6-dev,
# libgcc-12-dev, libstdc++-12-dev), the gold linker (binutils), the libraries
# that swift-build and FoundationNetworking/FoundationXML load (libcurl4,
# libxml2), zlib and uuid headers; git and pkg-config for SwiftPM; then the C
# libraries of Vizor's system-library targets (CNcurses, CFuse) and of GRDB's
# (SQLite). lldb's libedit and libpython are not needed to build or run.
VIZOR_BUILD_PACKAGES=(
  ca-certificates git pkg-config tzdata
  binutils gcc libc6-dev libgcc-12-dev libstdc++-12-dev
  libcurl4 libxml2 zlib1g-dev uuid-dev
  libncurses-dev libsqlite3-dev libfuse3-dev
)

# What the tests and fuzz runs call: the media tools that make fixtures
# (genisoimage, wimtools, udftools, p7zip-full), FUSE and Samba for the
# exposure tests, tmux for the end-to-end tests, nginx and wrk for the
# benchmarks' references, openssl for test certificates, procps (pkill),
# xxd (a secret command in the CLI tests), python3 with venv for the Python
# clients, debootstrap and man-db for the package tests; the boot ISO's
# pieces (ipxe, isolinux, syslinux-common, mtools for its EFI partition) and
# the QEMU judge that boots it with SeaBIOS and OVMF (qemu-system-x86, ovmf).
VIZOR_TEST_PACKAGES=(
  tmux genisoimage wimtools udftools p7zip-full
  fuse3 samba smbclient nginx wrk curl openssl procps xxd
  python3 python3-venv debootstrap man-db openssh-server openssh-client
  ipxe isolinux syslinux-common mtools qemu-system-x86 ovmf
)

# Python tools the tests run (independent clients and fixture makers),
# installed into a virtual environment under the build directory: Debian's
# own python3 refuses a system-wide `pip install` (PEP 668).
VIZOR_PYTHON_TOOLS=(xenapi cs pycdlib tree-sitter tree-sitter-powershell tzlocal)

# vizor_missing_packages PKG...: prints the ones not installed, one a line.
vizor_missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
    awk '$NF == "installed" { print $1 }') || true
  local p
  for p in "$@"; do
    grep -qxF -- "$p" <<< "$installed" || echo "$p"
  done
}

# vizor_install_packages PKG...: installs the missing ones with apt-get, as
# root or through sudo; otherwise prints the command to run and returns 1.
# Quick when nothing is missing: no apt-get at all.
vizor_install_packages() {
  local missing
  mapfile -t missing < <(vizor_missing_packages "$@")
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo > /dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "vizor: these Debian packages are missing: ${missing[*]}" >&2
      echo "vizor: install them as root, then run this again:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
      return 1
    fi
  fi
  echo "== installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" > /dev/null
  mapfile -t missing < <(vizor_missing_packages "$@")
  if [ "${#missing[@]}" -ne 0 ]; then
    echo "vizor: still missing after apt-get: ${missing[*]}" >&2
    return 1
  fi
}

# vizor_python_venv DIR: a virtual environment at DIR with VIZOR_PYTHON_TOOLS,
# made with Debian's python3 where there is one. pip runs only when DIR's
# stamp differs from the list (and the interpreter) wanted now.
vizor_python_venv() {
  local venv=$1 python=/usr/bin/python3
  [ -x "$python" ] || python=$(command -v python3)
  local wanted
  wanted="$("$python" -c 'import sys; print(sys.version.split()[0])') ${VIZOR_PYTHON_TOOLS[*]}"
  if [ -x "$venv/bin/python3" ] && [ "$(cat "$venv/.vizor-stamp" 2>/dev/null)" = "$wanted" ]; then
    return 0
  fi
  echo "== Python tools into $venv: ${VIZOR_PYTHON_TOOLS[*]}"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check "${VIZOR_PYTHON_TOOLS[@]}"
  echo "$wanted" > "$venv/.vizor-stamp"
}
