#!/usr/bin/env python3
"""Zeroes, in place, the GPU machine code a CUDA library holds for architectures other than the ones named,
so that the library compresses to what one GPU needs. ONNX Runtime's CUDA provider carries its kernels for
sm_75, 80, 86, 89, 90 and 120 (about 208 MiB of 271 MiB), each kernel image already compressed (zstd) so
that xz gains nothing on it; an H100 and an H200 run only the sm_90 code, so zeroing the rest saves about
100 MiB of xz payload. The fat binaries'
headers stay as they were, so the driver still finds the sm_90 code where it was; a GPU of another
architecture finds only zeros and fails at its first kernel, so build the payload for the GPU it goes to.
Plain Python, no packages: the fat binary layout is 16-byte headers (magic 0xBA55ED50) each followed by
entries with their own headers (kind 2 for machine code, the architecture at byte 28). The driver reads
only the image it picks for the GPU, so the zeroed ones are never decompressed."""
import argparse
import struct
import subprocess
import sys

FATBIN_MAGIC = 0xBA55ED50
MACHINE_CODE = 2


def fatbin_section(path):
    """Offset and size in the file of the .nv_fatbin section, as readelf reports them."""
    for line in subprocess.check_output(["readelf", "-S", "-W", path], text=True).splitlines():
        if ".nv_fatbin" in line:
            fields = line.split("]", 1)[1].split()
            return int(fields[3], 16), int(fields[4], 16)
    sys.exit(f"{path}: no .nv_fatbin section; this is not a library with CUDA kernels")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("library")
    parser.add_argument("--keep", type=int, nargs="+", default=[90], metavar="SM",
                        help="architectures whose code stays, as sm numbers (default 90: H100 and H200)")
    args = parser.parse_args()

    start, size = fatbin_section(args.library)
    with open(args.library, "r+b") as f:
        f.seek(start)
        section = bytearray(f.read(size))
        kept = zeroed = 0
        position = 0
        while position + 16 <= size:
            magic, _, header_size, fat_size = struct.unpack_from("<IHHQ", section, position)
            if magic != FATBIN_MAGIC:
                # Fat binaries are 8-byte aligned; padding sits between them.
                position += 8
                continue
            entry = position + header_size
            end = entry + fat_size
            while entry < end:
                kind, _, entry_header, payload = struct.unpack_from("<HHIQ", section, entry)
                architecture = struct.unpack_from("<I", section, entry + 28)[0]
                body = entry + entry_header
                if kind == MACHINE_CODE and architecture not in args.keep:
                    section[body:body + payload] = bytes(payload)
                    zeroed += payload
                else:
                    kept += payload
                entry = body + payload
            position = end
        if kept == 0:
            sys.exit(f"{args.library}: no GPU code for sm {args.keep}; nothing was changed")
        f.seek(start)
        f.write(section)
    print(f"{args.library}: kept {kept / 2**20:.1f} MiB of GPU code for sm {args.keep}, zeroed {zeroed / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
