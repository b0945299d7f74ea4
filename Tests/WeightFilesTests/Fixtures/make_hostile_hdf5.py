#!/usr/bin/env python3
"""Writes the hostile HDF5 files of WeightsHostileTests (run from the project root:
python3 Tests/WeightFilesTests/Fixtures/make_hostile_hdf5.py; needs h5py). Every file is small and readable by
HDF5 1.10 (libver earliest..v108).

- hostile_cycle.h5: 8 groups under the root, each holding hard links back to the root and to every other group;
  a walk without a visited set would visit 8^8 groups before its depth limit.
- hostile_soft_links.h5: a legacy layer list whose block1_conv1 group is a soft link to the root, plus an
  external link to /dev/zero; neither may be followed.
- hostile_external_data.h5: a legacy VGG16 layout whose first kernel keeps its data in /dev/zero (HDF5 external
  storage); the reader must refuse it instead of reading another file.
- hostile_many_strings.h5: a layer_names attribute of 65537 strings, above the shim's limit of 65536.
"""
import os
import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
VGG16 = [(1, 1, 3, 64), (1, 2, 64, 64), (2, 1, 64, 128), (2, 2, 128, 128), (3, 1, 128, 256), (3, 2, 256, 256),
         (3, 3, 256, 256), (4, 1, 256, 512), (4, 2, 512, 512), (4, 3, 512, 512), (5, 1, 512, 512), (5, 2, 512, 512),
         (5, 3, 512, 512)]


def new(name, low="earliest"):
    return h5py.File(os.path.join(here, name), "w", libver=(low, "v108"))


with new("hostile_cycle.h5") as f:
    groups = [f.create_group(f"g{i}") for i in range(8)]
    for g in groups:
        g["root"] = f["/"]
        for i, other in enumerate(groups):
            g[f"to{i}"] = other

with new("hostile_soft_links.h5") as f:
    f.attrs["layer_names"] = np.array([b"block1_conv1"], dtype="S12")
    f["block1_conv1"] = h5py.SoftLink("/")
    f["outside"] = h5py.ExternalLink("/dev/zero", "/")

with new("hostile_external_data.h5") as f:
    names = [f"block{b}_conv{i}" for b, i, _, _ in VGG16]
    f.attrs["layer_names"] = np.array([n.encode() for n in names], dtype="S12")
    for (b, i, cin, cout), name in zip(VGG16, names):
        g = f.create_group(name)
        g.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()], dtype="S24")
        if name == "block1_conv1":
            g.create_dataset(f"{name}/kernel:0", shape=(3, 3, cin, cout), dtype="<f4",
                             external=[("/dev/zero", 0, 3 * 3 * cin * cout * 4)])
        else:
            g.create_dataset(f"{name}/kernel:0", shape=(3, 3, cin, cout), dtype="<f4")
        g.create_dataset(f"{name}/bias:0", shape=(cout,), dtype="<f4")

with new("hostile_many_strings.h5", low="v108") as f:   # dense attribute storage: 1.8 format or later
    f.attrs.create("layer_names", np.array([b"x"] * 65537, dtype="S1"))
