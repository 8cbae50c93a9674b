#!/usr/bin/env bash
# Plays, on this machine's CPU, the device calls that prepare.sh printed: a copy of what travels (the
# working tree), each part carried into it in turn, then the last call's step on `cpu` with small sizes.
# What the device would send back lands in the folder printed at the end.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

parts=$(find .gpu-carry -mindepth 1 -maxdepth 1 -name '[0-9]*' -type d | wc -l)
((parts > 0)) || { echo ".gpu-carry holds no parts: run bench/gpu/prepare.sh first" >&2; exit 2; }
device=$(mktemp -d -t unetpp-gpu-device-XXXX)
out=$(mktemp -d -t unetpp-gpu-out-XXXX)
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$device"
rm -rf /tmp/unetpp-gpu

for ((i = 1; i <= parts; i++)); do
  rm -rf "$device/.gpu-carry" && mkdir "$device/.gpu-carry" && cp -r ".gpu-carry/$i" "$device/.gpu-carry/"
  started=$SECONDS
  if ((i < parts)); then
    (cd "$device" && OUT=$out bash bench/gpu/run-on-device.sh store "$i")
  else
    (cd "$device" && OUT=$out PYTHON=${PYTHON:-/usr/bin/python3} nice -n 5 bash bench/gpu/run-on-device.sh measure "$i" cpu)
  fi
  echo "call $i took $((SECONDS - started)) s"
done

rm -rf "$device"
echo "what would come back: $out"
ls -la "$out"
