#!/usr/bin/env bash
# Installs the programs so that `unetpp` runs in about a second instead of `dotnet run`'s ten: each is
# published (Release, framework-dependent, linux-x64) into <prefix>/<program>/, and a launcher of the
# same name goes into <bin>, which should be on the PATH.
#
#   tools/install.sh                          into ~/.local/share/unetpp, launchers in ~/.local/bin
#   tools/install.sh --prefix /opt/unetpp     into /opt/unetpp, launchers in /opt/unetpp/bin
#   tools/install.sh --bin DIR                launchers in DIR
#   tools/install.sh unetpp unetpp-silo       only these: a silo or client machine needs no libtorch,
#                                             which unetpp-train alone carries (about 0.8 GB)
#
# Running it again replaces what it installed. A publish rather than a `dotnet tool` package: three
# programs, libtorch far beyond a tool package's practical size, and TorchSharp's native bridge is
# adjusted for this machine's libstdc++ as it is published (src/Training/build/LibTorchSharp.targets).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

prefix="$HOME/.local/share/unetpp"
bin=""
programs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a folder}"; bin="${bin:-$2/bin}"; shift ;;
    --prefix=*) prefix="${1#--prefix=}"; bin="${bin:-$prefix/bin}" ;;
    --bin) bin="${2:?--bin needs a folder}"; shift ;;
    --bin=*) bin="${1#--bin=}" ;;
    unetpp|unetpp-silo|unetpp-train) programs+=("$1") ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1'; give --prefix DIR, --bin DIR and any of unetpp, unetpp-silo, unetpp-train." >&2; exit 2 ;;
  esac
  shift
done
bin="${bin:-$HOME/.local/bin}"
[ ${#programs[@]} -gt 0 ] || programs=(unetpp unetpp-silo unetpp-train)

dotnet="$(command -v dotnet || true)"
[ -n "$dotnet" ] || { echo "install.sh: dotnet is not on the PATH; install the .NET 10 SDK first." >&2; exit 2; }
dotnet="$(readlink -f "$dotnet")"

project_of() {
  case "$1" in
    unetpp) echo src/Client ;;
    unetpp-silo) echo src/Silo ;;
    unetpp-train) echo src/Training ;;
  esac
}

mkdir -p "$prefix" "$bin"
prefix="$(cd "$prefix" && pwd)"
bin="$(cd "$bin" && pwd)"
for program in "${programs[@]}"; do
  target="$prefix/$program"
  echo "publishing $program into $target" >&2
  # Published beside the old copy and swapped in whole, so a failed publish leaves the old one working.
  rm -rf "$target.new"
  "$dotnet" publish "$root/$(project_of "$program")" -c Release -o "$target.new" --nologo -v q >&2
  rm -rf "$target"
  mv "$target.new" "$target"

  # The same runtime that published it, wherever the PATH points later; exec, so signals reach the program.
  launcher="$bin/$program"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$dotnet" "$target/$program.dll" > "$launcher.new"
  chmod +x "$launcher.new"
  mv "$launcher.new" "$launcher"
  echo "installed $launcher" >&2
done

case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "$bin is not on your PATH; add it, for example: echo 'export PATH=\"$bin:\$PATH\"' >> ~/.profile" >&2 ;;
esac
