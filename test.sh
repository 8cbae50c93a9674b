#!/usr/bin/env bash
# Runs the tests of the solution and prints one summary line at the end. Arguments other than --fast
# go to `dotnet test` (./test.sh --filter "FullyQualifiedName~Leasing").
#
#   ./test.sh          every test: installs and starts what the tests need first, so it works on a
#                      fresh machine with only the .NET SDK (CI runs this)
#   ./test.sh --fast   the inner loop: only tests that start no process of their own (no Azurite, silo
#                      or CLI processes, Prometheus, promtool or Chromium), and installs nothing
set -euo pipefail
cd "$(dirname "$0")"

fast=false
filter=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=true ;;
    --filter) filter="${2:?--filter needs an expression}"; shift ;;
    --filter=*) filter="${1#--filter=}" ;;
    *) args+=("$1") ;;
  esac
  shift
done

if $fast; then
  # Tests that start a process carry [Trait(TestTier.Category, TestTier.External)]
  # (tests/Processes/TestTier.cs); one that does not, and starts one anyway, fails at once, asking to be marked.
  export UNETPP_TEST_TIER=fast
  filter="${filter:+($filter)&}Category!=External"
else
  # The blob tests run against a real Azurite (the Azure Blob protocol, no fakes); install it once.
  azurite_version=3.37.0
  azurite_dir="$PWD/.tools/azurite"
  export UNETPP_AZURITE="$azurite_dir/node_modules/.bin/azurite"
  if [ ! -x "$UNETPP_AZURITE" ] || ! grep -q "\"version\": \"$azurite_version\"" "$azurite_dir/node_modules/azurite/package.json" 2>/dev/null; then
    echo "installing azurite@$azurite_version into .tools/azurite" >&2
    npm install --prefix "$azurite_dir" "azurite@$azurite_version" --no-audit --no-fund --loglevel=error >&2
  fi

  # The telemetry tests run a real Prometheus and promtool, and the report test opens report.html in
  # headless Chromium, and training.png needs fonts: Debian's packages, installed once.
  missing=()
  { [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; } || missing+=(prometheus)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # training.png's text is laid out with the system's fonts.
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  # The seed's own PyTorch code checks the ONNX models the project builds (tools/parity).
  /usr/bin/python3 -c 'import torch' 2>/dev/null || missing+=(python3-torch)
  # OME-TIFFs as tifffile writes them are read back plane by plane and channel by channel, and tifffile
  # (what napari and many labs read OME-TIFF with) opens the masks --mask-format ome-tiff writes.
  /usr/bin/python3 -c 'import tifffile' 2>/dev/null || missing+=(python3-tifffile)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} from Debian's packages" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi

[ -z "$filter" ] || args+=(--filter "$filter")

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
if $fast; then
  # Built once, then every test assembly run side by side, a test host per core: the solution's own
  # `dotnet test` runs them one after another. Paths follow Directory.Build.props (AssemblyName, RID).
  assemblies=()
  for project in tests/*/*.Tests.csproj; do
    assemblies+=("$(dirname "$project")/bin/Release/net10.0/linux-x64/UNetPP.Cluster.$(basename "$project" .csproj).dll")
  done
  { dotnet build UNetPP.Cluster.sln -c Release --nologo -v q &&
    dotnet test "${assemblies[@]}" ${args[@]+"${args[@]}"} -- RunConfiguration.MaxCpuCount=0; } 2>&1 | tee "$log" || status=$?
else
  dotnet test UNetPP.Cluster.sln -c Release --nologo ${args[@]+"${args[@]}"} 2>&1 | tee "$log" || status=$?
fi

# One closing line for every runner's counts together. A runner prints its counts on one line, or, with
# --logger "console;verbosity=detailed", as a block under "Total tests:".
awk '
  /(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+/ {
    gsub(",", ""); for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i + 1); if ($i == "Passed:") p += $(i + 1); if ($i == "Skipped:") s += $(i + 1)
    }
  }
  /^Total tests: +[0-9]+/ { block = 1; next }
  block && /^ +(Passed|Failed|Skipped): +[0-9]+ *$/ {
    if ($1 == "Failed:") f += $2; if ($1 == "Passed:") p += $2; if ($1 == "Skipped:") s += $2
    next
  }
  { block = 0 }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit "$status"
