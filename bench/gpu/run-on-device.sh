#!/usr/bin/env bash
# The command each device call runs, from the repository root on the lent GPU machine (see README.md):
#   bash bench/gpu/run-on-device.sh store N              keep payload part N, carried in .gpu-carry/N
#   bash bench/gpu/run-on-device.sh measure N [DEVICE]   keep part N (the last), unpack, measure, JSON to $OUT
#   bash bench/gpu/run-on-device.sh anchor [DEVICE]      only the PyTorch anchor again, if measure ran out of time
# DEVICE is cuda:0 unless named; with cpu the same steps run small sizes (--quick): the dry run on a machine
# without a GPU. The parts wait in /tmp, outside the checkout, which each call brings anew: they last as
# long as the machine stays warm (30 s after a call), so the calls must follow one another at once.
set -euo pipefail

step=${1:?store N, measure N [DEVICE] or anchor [DEVICE]}
keep=/tmp/unetpp-gpu
out=${OUT:?OUT names the folder whose files come back}
python=${PYTHON:-python3}
mkdir -p "$keep/parts"

keep_part() {
  local part=$1 from=.gpu-carry/$1
  [[ -f $from/payload.part && -f $from/manifest ]] || { echo "$from: no payload part here; name it in the call's carry" >&2; exit 2; }
  cp "$from/payload.part" "$keep/parts/$(printf %03d "$part")"
  cp "$from/manifest" "$keep/manifest"
  read -r _ total < "$keep/manifest"
  echo "part $part kept; $(ls "$keep/parts" | wc -l) of $total here"
}

# Where the CUDA provider finds CUDA 13, cuBLAS, cuRAND and cuDNN 9 (the wheels PyTorch brought, then the
# toolkit) and the driver's libcuda (its read-only mount, in case the loader's cache lacks it).
cuda_libraries() {
  local site
  site=$("$python" -c 'import site; print(site.getsitepackages()[0])')
  find "$site/nvidia" /usr/local/cuda/lib64 /usr/local/nvidia/lib64 -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd:
}

anchor() {
  local device=$1 quick=$2 seconds=$3
  PYTHONUNBUFFERED=1 timeout "$seconds" "$python" bench/gpu/anchor.py --device "$device" $quick \
    > "$out/anchor.json" 2> "$out/anchor.log" || echo "anchor.py stopped with exit code $? (124: out of time)" | tee -a "$out/anchor.log"
}

case $step in
  store)
    keep_part "${2:?store N: which part}"
    ;;
  measure)
    keep_part "${2:?measure N: which part}"
    device=${3:-cuda:0}
    quick=$([[ $device == cpu ]] && echo --quick || true)
    read -r sha total < "$keep/manifest"
    missing=$(for ((i = 1; i <= total; i++)); do [[ -f $keep/parts/$(printf %03d $i) ]] || echo -n "$i "; done)
    [[ -z $missing ]] || { echo "parts $missing are not here: the machine went back between calls; send every part again" >&2; exit 3; }
    started=$SECONDS
    for ((i = 1; i <= total; i++)); do cat "$keep/parts/$(printf %03d $i)"; done > "$keep/payload.tar.xz"
    echo "$sha  $keep/payload.tar.xz" | sha256sum -c --quiet || { echo "the payload's sha256 is not $sha: a part is stale or missing" >&2; exit 4; }
    rm -rf "$keep/app" && mkdir "$keep/app" && tar -C "$keep/app" -xJf "$keep/payload.tar.xz"
    echo "unpacked in $((SECONDS - started)) s"
    export LD_LIBRARY_PATH=$(cuda_libraries)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    {
      date -u; nvidia-smi 2>&1 || true
      echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
      echo "libraries the CUDA provider does not find:"; ldd "$keep/app/libonnxruntime_providers_cuda.so" | grep 'not found' || echo none
      for l in libcudnn.so.9 libcufft.so.12; do
        found=$(for d in ${LD_LIBRARY_PATH//:/ }; do ls "$d/$l" 2>/dev/null; done | head -1)
        echo "$l (loaded when needed): ${found:-not found}"
      done
    } > "$out/device.txt" 2>&1
    # The bench first (the product's numbers), then the anchor in what is left of the call's ten minutes.
    timeout 420 "$keep/app/unetpp-bench" gpu --device "$device" $quick --json > "$out/bench.json" 2> "$out/bench.log" \
      || echo "unetpp-bench gpu stopped with exit code $? (124: out of time, 1: a row has an error)" | tee -a "$out/bench.log"
    anchor "$device" "$quick" $((560 - (SECONDS - started)))
    echo "measured in $((SECONDS - started)) s"
    ;;
  anchor)
    device=${2:-cuda:0}
    anchor "$device" "$([[ $device == cpu ]] && echo --quick || true)" 560
    ;;
  *)
    echo "unknown step '$step': store N, measure N [DEVICE] or anchor [DEVICE]" >&2
    exit 2
    ;;
esac
