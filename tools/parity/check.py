#!/usr/bin/env python3
"""Runs the seed's NestedUNet in PyTorch with a safetensors state dict, and compares its heads with those of
an ONNX file built by this project from the same weights: run here on ONNX Runtime when the onnxruntime
package is installed, or as the project's own ONNX Runtime wrote them (--outputs). Prints the largest
absolute difference of each head. Needs only what Debian ships: python3-torch and python3-numpy."""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SAFETENSORS_TYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def load_file(path):
    """A safetensors file as name -> tensor: an 8-byte header length, a JSON header, then the raw data.
    Read here so the check needs no safetensors package, which Debian does not ship."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in SAFETENSORS_TYPES:
            sys.exit(f"{path}: tensor {name} has type {entry['dtype']}, which this check does not read")
        start, end = entry["data_offsets"]
        values = np.frombuffer(data[start:end], dtype=SAFETENSORS_TYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(values.copy())
    return tensors


def onnx_heads(onnx, heads, x, outputs):
    """The ONNX file's heads for input x: from --outputs (written by the project's ONNX Runtime), else run here."""
    if outputs is not None:
        return [np.load(os.path.join(outputs, f"{head}.npy")) for head in heads]
    try:
        import onnxruntime as ort
    except ImportError:
        sys.exit("onnxruntime is not installed: give --outputs with the heads the project wrote, or pip install onnxruntime")
    session = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    return session.run(heads, {session.get_inputs()[0].name: x})


class VGGBlock(nn.Module):
    def __init__(self, in_channels, middle_channels, out_channels):
        super().__init__()
        self.relu = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, middle_channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(middle_channels)
        self.conv2 = nn.Conv2d(middle_channels, out_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(x)))


class NestedUNet(nn.Module):
    """The seed's module, with the widths (nb_filter) as a parameter instead of fixed at 32..512."""

    def __init__(self, num_classes, input_channels, deep_supervision, nb_filter):
        super().__init__()
        f = nb_filter
        self.deep_supervision = deep_supervision
        self.pool = nn.MaxPool2d(2, 2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)

        self.conv0_0 = VGGBlock(input_channels, f[0], f[0])
        self.conv1_0 = VGGBlock(f[0], f[1], f[1])
        self.conv2_0 = VGGBlock(f[1], f[2], f[2])
        self.conv3_0 = VGGBlock(f[2], f[3], f[3])
        self.conv4_0 = VGGBlock(f[3], f[4], f[4])

        self.conv0_1 = VGGBlock(f[0] + f[1], f[0], f[0])
        self.conv1_1 = VGGBlock(f[1] + f[2], f[1], f[1])
        self.conv2_1 = VGGBlock(f[2] + f[3], f[2], f[2])
        self.conv3_1 = VGGBlock(f[3] + f[4], f[3], f[3])

        self.conv0_2 = VGGBlock(f[0] * 2 + f[1], f[0], f[0])
        self.conv1_2 = VGGBlock(f[1] * 2 + f[2], f[1], f[1])
        self.conv2_2 = VGGBlock(f[2] * 2 + f[3], f[2], f[2])

        self.conv0_3 = VGGBlock(f[0] * 3 + f[1], f[0], f[0])
        self.conv1_3 = VGGBlock(f[1] * 3 + f[2], f[1], f[1])

        self.conv0_4 = VGGBlock(f[0] * 4 + f[1], f[0], f[0])

        if deep_supervision:
            self.final1 = nn.Conv2d(f[0], num_classes, kernel_size=1)
            self.final2 = nn.Conv2d(f[0], num_classes, kernel_size=1)
            self.final3 = nn.Conv2d(f[0], num_classes, kernel_size=1)
            self.final4 = nn.Conv2d(f[0], num_classes, kernel_size=1)
        else:
            self.final = nn.Conv2d(f[0], num_classes, kernel_size=1)

    def up_to(self, x, skip):
        """Upsample, then zero-pad to the skip's size split as [d // 2, d - d // 2], so any H, W works."""
        x = self.up(x)
        dy = skip.size(2) - x.size(2)
        dx = skip.size(3) - x.size(3)
        return F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])

    def forward(self, input):
        x0_0 = self.conv0_0(input)
        x1_0 = self.conv1_0(self.pool(x0_0))
        x0_1 = self.conv0_1(torch.cat([x0_0, self.up_to(x1_0, x0_0)], 1))

        x2_0 = self.conv2_0(self.pool(x1_0))
        x1_1 = self.conv1_1(torch.cat([x1_0, self.up_to(x2_0, x1_0)], 1))
        x0_2 = self.conv0_2(torch.cat([x0_0, x0_1, self.up_to(x1_1, x0_0)], 1))

        x3_0 = self.conv3_0(self.pool(x2_0))
        x2_1 = self.conv2_1(torch.cat([x2_0, self.up_to(x3_0, x2_0)], 1))
        x1_2 = self.conv1_2(torch.cat([x1_0, x1_1, self.up_to(x2_1, x1_0)], 1))
        x0_3 = self.conv0_3(torch.cat([x0_0, x0_1, x0_2, self.up_to(x1_2, x0_0)], 1))

        x4_0 = self.conv4_0(self.pool(x3_0))
        x3_1 = self.conv3_1(torch.cat([x3_0, self.up_to(x4_0, x3_0)], 1))
        x2_2 = self.conv2_2(torch.cat([x2_0, x2_1, self.up_to(x3_1, x2_0)], 1))
        x1_3 = self.conv1_3(torch.cat([x1_0, x1_1, x1_2, self.up_to(x2_2, x1_0)], 1))
        x0_4 = self.conv0_4(torch.cat([x0_0, x0_1, x0_2, x0_3, self.up_to(x1_3, x0_0)], 1))

        if self.deep_supervision:
            return [self.final1(x0_1), self.final2(x0_2), self.final3(x0_3), self.final4(x0_4)]
        return [self.final(x0_4)]


def load_seed_model(path):
    """Builds the module the state dict fits (widths, channels, classes, heads read from its shapes) and loads it."""
    state = load_file(path)
    deep_supervision = "final1.weight" in state
    head = state["final1.weight" if deep_supervision else "final.weight"]
    model = NestedUNet(
        num_classes=head.shape[0],
        input_channels=state["conv0_0.conv1.weight"].shape[1],
        deep_supervision=deep_supervision,
        nb_filter=[state[f"conv{i}_0.conv1.weight"].shape[0] for i in range(5)],
    )
    # The project writes no num_batches_tracked (inference never reads it); anything else must match.
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"{path} does not fit the seed's NestedUNet: missing {missing}, unexpected {unexpected}")
    return model.eval(), ["final1", "final2", "final3", "final4"] if deep_supervision else ["final"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("onnx", help="model built by `unetpp model build --weights WEIGHTS`")
    parser.add_argument("weights", help="the safetensors state dict it was built from")
    parser.add_argument("--size", type=int, nargs=2, default=[97, 131], metavar=("H", "W"),
                        help="input height and width (default 97 131: odd sizes exercise the padding)")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--outputs", metavar="DIR",
                        help="a folder with input.npy and one <head>.npy per head from the project's ONNX Runtime, "
                             "instead of running onnxruntime here (--size, --batch and --seed then do not apply)")
    args = parser.parse_args()

    model, heads = load_seed_model(args.weights)
    channels = model.conv0_0.conv1.in_channels
    if args.outputs is not None:
        x = np.load(os.path.join(args.outputs, "input.npy"))
    else:
        x = np.random.default_rng(args.seed).uniform(-2, 2, (args.batch, channels, *args.size)).astype(np.float32)

    with torch.no_grad():
        expected = [head.numpy() for head in model(torch.from_numpy(x))]
    actual = onnx_heads(args.onnx, heads, x, args.outputs)

    worst = 0.0
    for name, e, a in zip(heads, expected, actual):
        difference = float(np.abs(e - a).max())
        worst = max(worst, difference)
        print(f"{name:7} max |difference| {difference:.3g}  (largest |logit| {float(np.abs(e).max()):.3g})")
    print("match" if worst <= args.tolerance else f"MISMATCH: above tolerance {args.tolerance:g}")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
