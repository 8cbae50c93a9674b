#!/usr/bin/env bash
# Runs every test of the solution. Installs and starts what the tests need first, so it works
# on a fresh machine with only the .NET SDK; prints one summary line at the end.
set -euo pipefail
cd "$(dirname "$0")"

# The blob tests run against a real Azurite (the Azure Blob protocol, no fakes); install it once.
azurite_version=3.37.0
azurite_dir="$PWD/.tools/azurite"
export UNETPP_AZURITE="$azurite_dir/node_modules/.bin/azurite"
if [ ! -x "$UNETPP_AZURITE" ] || ! grep -q "\"version\": \"$azurite_version\"" "$azurite_dir/node_modules/azurite/package.json" 2>/dev/null; then
  echo "installing azurite@$azurite_version into .tools/azurite" >&2
  npm install --prefix "$azurite_dir" "azurite@$azurite_version" --no-audit --no-fund --loglevel=error >&2
fi

# The telemetry tests run a real Prometheus and promtool, and the report test opens report.html in
# headless Chromium: Debian's packages, installed once.
missing=()
{ [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; } || missing+=(prometheus)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
dotnet test UNetPP.Cluster.sln -c Release --nologo "$@" 2>&1 | tee "$log" || status=$?

# One closing line for every runner's counts together.
awk '
  /(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+/ {
    gsub(",", ""); for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i + 1); if ($i == "Passed:") p += $(i + 1); if ($i == "Skipped:") s += $(i + 1)
    }
  }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit "$status"
