#!/usr/bin/env python3
"""The PyTorch anchor for `unetpp-bench gpu`: the seed's NestedUNet (tools/parity/check.py) in eager PyTorch,
eval and no_grad, on the same device, tiles and batch sizes, in float32 and under autocast to float16, timed
with the device synchronised. Prints one JSON object on stdout. Each size is measured twice: with the tensors
already on the device (what PyTorch benchmarks usually quote), and from a pinned host batch to the last head
back in host memory (what `unetpp-bench gpu`'s raw rows do through ONNX Runtime's binding)."""
import argparse
import json
import os
import platform
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "parity"))
from check import NestedUNet, load_seed_model  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SEED_FILTERS = [32, 64, 128, 256, 512]


def models():
    """The shipped model with its trained weights, and the seed's widths with PyTorch's own initial weights."""
    shipped, _ = load_seed_model(os.path.join(ROOT, "models", "nuclei-unetpp.safetensors"))
    widths = [getattr(shipped, f"conv{i}_0").conv1.out_channels for i in range(5)]
    torch.manual_seed(0)
    seed = NestedUNet(num_classes=1, input_channels=3, deep_supervision=True, nb_filter=SEED_FILTERS).eval()
    return [(f"shipped {widths[0]}-{widths[-1]}", shipped), (f"seed {SEED_FILTERS[0]}-{SEED_FILTERS[-1]}", seed)]


def synchronise(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rate(step, device, batch, minimum):
    """Tiles per second of step(), after one run that lets cuDNN pick its algorithms for the shape."""
    step()
    synchronise(device)
    runs = 0
    start = time.perf_counter()
    while runs < 3 or time.perf_counter() - start < minimum:
        step()
        runs += 1
    synchronise(device)
    return runs * batch / (time.perf_counter() - start)


def measure(model, device, precision, tile, batch, minimum):
    """Both rows of one size: tensors on the device, and pinned host in, last head out to host."""
    on_cpu = device.type == "cpu"
    # CPU autocast knows bfloat16 alone; the dry run on a CPU uses it in float16's place.
    half = torch.bfloat16 if on_cpu else torch.float16
    generator = torch.Generator().manual_seed(5)
    host = torch.rand(batch, 3, tile, tile, generator=generator).mul_(4).sub_(2)
    if not on_cpu:
        host = host.pin_memory()
    resident = host.to(device)
    out = torch.empty(batch, 1, tile, tile, pin_memory=not on_cpu)

    def forward(x):
        with torch.no_grad(), torch.autocast(device.type, dtype=half, enabled=precision != "fp32"):
            return model(x)[-1]

    def copied():
        out.copy_(forward(host.to(device, non_blocking=True)), non_blocking=True)

    return (rate(lambda: forward(resident), device, batch, minimum), rate(copied, device, batch, minimum))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda:0", help="cuda:N or cpu")
    parser.add_argument("--quick", action="store_true", help="64² tiles, batches 1 and 2, short runs: the CPU dry run")
    args = parser.parse_args()

    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    tiles, batches, minimum = ([64], [1, 2], 0.2) if args.quick else ([256, 512], [1, 2, 4, 8, 16, 32], 0.5)
    precisions = ["fp32", "bf16" if device.type == "cpu" else "fp16"]

    rows = []
    for name, model in models():
        model.to(device)
        for tile in tiles:
            for precision in precisions:
                for batch in batches:
                    row = {"model": name, "precision": precision, "tile": tile, "batch": batch}
                    try:
                        resident, copied = measure(model, device, precision, tile, batch, minimum)
                        row.update(tiles_per_second_on_device=resident, tiles_per_second_host_to_host=copied, error=None)
                    except torch.cuda.OutOfMemoryError as error:
                        row.update(tiles_per_second_on_device=None, tiles_per_second_host_to_host=None, error=str(error).split("\n")[0])
                        torch.cuda.empty_cache()
                    rates = row["error"] or "{:9.1f} tiles/s on the device, {:9.1f} host to host".format(
                        row["tiles_per_second_on_device"], row["tiles_per_second_host_to_host"])
                    print(f"  {name} {precision} @{tile} batch {batch:2} {rates}", file=sys.stderr, flush=True)
                    rows.append(row)
        model.to("cpu")
        if device.type == "cuda":
            torch.cuda.empty_cache()

    print(json.dumps({
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "cudnn": torch.backends.cudnn.version() if device.type == "cuda" else None,
        "cudnn_tf32": torch.backends.cudnn.allow_tf32,
        "quick": args.quick,
        "rows": rows,
    }, indent=2))


if __name__ == "__main__":
    main()
