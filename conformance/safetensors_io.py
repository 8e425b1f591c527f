"""Minimal safetensors reader and writer (F32, F16, BF16) on numpy alone.

Format: an 8-byte little-endian header length N, N bytes of JSON
{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw
little-endian tensor bytes, offsets relative to the end of the header.

BF16 has no numpy dtype; it travels as uint16 bit patterns and is widened to float32 by a
16-bit shift, which is exact.
"""

import json
import struct

import numpy as np

_LITTLE_ENDIAN = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2")}


def read(path):
    """Returns ({name: float64 array}, metadata) with every value exactly as stored."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (header_len,) = struct.unpack("<Q", data[:8])
    if 8 + header_len > len(data):
        raise ValueError(f"{path}: header length {header_len} runs past the end of the file")
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    body = memoryview(data)[8 + header_len:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        dtype = info["dtype"]
        if dtype not in _LITTLE_ENDIAN:
            raise ValueError(f"{path}: tensor {name} has dtype {dtype}; only F32, F16, BF16 are read")
        begin, end = info["data_offsets"]
        raw = np.frombuffer(body[begin:end], dtype=_LITTLE_ENDIAN[dtype])
        count = int(np.prod(info["shape"], dtype=np.int64))
        if raw.size != count:
            raise ValueError(f"{path}: tensor {name} has {raw.size} values for shape {info['shape']}")
        tensors[name] = _widen(raw, dtype).reshape(info["shape"])
    return tensors, metadata


def _widen(raw, dtype):
    if dtype == "BF16":
        return (raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return raw.astype(np.float64)


def _to_bf16_bits(values):
    """Rounds to the nearest bfloat16 (ties to even) and returns the uint16 bit patterns."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounding = 0x7FFF + ((bits >> 16) & 1)
    return ((bits + rounding) >> 16).astype(np.uint16)


def itemsize(dtype):
    return _LITTLE_ENDIAN[dtype].itemsize


def _encode(values, dtype):
    if dtype == "BF16":
        return _to_bf16_bits(values).ravel()
    if dtype in _LITTLE_ENDIAN:
        return np.asarray(values).astype(_LITTLE_ENDIAN[dtype]).ravel()
    raise ValueError(f"dtype {dtype}: only F32, F16, BF16 are written")


def write(path, tensors, dtype, metadata=None):
    """Writes {name: array} all as `dtype`, laid out as the safetensors library does:
    data sorted by name (all tensors share one dtype), header padded with spaces to 8 bytes."""
    header = {"__metadata__": metadata if metadata is not None else {"format": "pt"}}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        encoded = _encode(tensors[name], dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(tensors[name])),
                        "data_offsets": [offset, offset + len(encoded)]}
        chunks.append(encoded)
        offset += len(encoded)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)
    return offset
