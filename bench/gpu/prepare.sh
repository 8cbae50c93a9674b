#!/usr/bin/env bash
# Builds what a lent GPU machine (no .NET there) needs to run `unetpp-bench gpu`: the benchmark published
# self-contained, ONNX Runtime's CUDA provider cut to one GPU architecture, packed with xz and split into
# parts that each fit one device call beside the working tree. Prints the calls to make, in order.
#   bash bench/gpu/prepare.sh          code for sm_90 alone (H100, H200)
#   bash bench/gpu/prepare.sh 80 90    code for the architectures named (sm numbers); 'all' keeps every one
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

carry=.gpu-carry
publish=$carry/publish
architectures=("${@:-90}")
call_limit=$((64 * 1024 * 1024))
margin=$((1024 * 1024))

git check-ignore -q "$carry/" || { echo "$carry is not ignored by git: it would travel with every call (see .gitignore)" >&2; exit 2; }
rm -rf "$carry"
mkdir -p "$carry"

started=$SECONDS
nice -n 5 dotnet publish bench/GpuBench -c Release -r linux-x64 --self-contained -o "$publish" -v quiet -nologo
echo "published in $((SECONDS - started)) s: $(du -sh "$publish" | cut -f1)"

# TensorRT's provider needs libnvinfer, which the machine lacks, and nothing here asks for TensorRT. The
# runtime's debugger and dump support, its trace provider and its optional garbage collectors load only
# when a debugger, LTTng or DOTNET_GCName asks for them.
rm -f "$publish/libonnxruntime_providers_tensorrt.so" "$publish"/{createdump,libmscordaccore.so,libmscordbi.so,libcoreclrtraceptprovider.so,libclrgc.so,libclrgcexp.so}
if [[ ${architectures[*]} != all ]]; then
  python3 bench/gpu/keep_gpu_code.py "$publish/libonnxruntime_providers_cuda.so" --keep "${architectures[@]}"
fi

started=$SECONDS
tar -C "$publish" -cf - . | nice -n 5 xz -9 -T2 > "$carry/payload.tar.xz"
payload=$(stat -c %s "$carry/payload.tar.xz")
sha=$(sha256sum "$carry/payload.tar.xz" | cut -d' ' -f1)
echo "packed in $((SECONDS - started)) s: $((payload / 1024 / 1024)) MiB ($payload bytes), sha256 $sha"

# What travels with every call besides the part: tracked and untracked-not-ignored files, and shared/.
# A tracked file deleted here makes stat fail: it does not travel, so it counts nothing.
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}') || true
if [[ -d shared ]]; then
  tree=$((tree + $(find shared -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')))
fi
part_size=$((call_limit - tree - margin))
parts=$(((payload + part_size - 1) / part_size))
echo "working tree $((tree / 1024)) KiB; parts of at most $((part_size / 1024 / 1024)) MiB: $parts calls"

split -b "$part_size" -d -a 3 "$carry/payload.tar.xz" "$carry/part."
i=0
for file in "$carry"/part.*; do
  i=$((i + 1))
  mkdir "$carry/$i"
  mv "$file" "$carry/$i/payload.part"
  echo "$sha $parts" > "$carry/$i/manifest"
done

echo
echo "Device calls, one right after another (the machine is given back 30 s after a call ends):"
for ((i = 1; i <= parts; i++)); do
  if ((i < parts)); then
    echo "  run command='bash bench/gpu/run-on-device.sh store $i' carry=['$carry/$i'] timeout_s=60"
  else
    echo "  run command='bash bench/gpu/run-on-device.sh measure $i' carry=['$carry/$i'] timeout_s=600"
  fi
done
echo "then give_back. The results: bench.json, anchor.json, device.txt and the logs, in the last call's files."
