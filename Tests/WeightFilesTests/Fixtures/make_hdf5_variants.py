#!/usr/bin/env python3
"""Writes the small HDF5 files of HDF5ReaderTests (run from the project root:
python3 Tests/WeightFilesTests/Fixtures/make_hdf5_variants.py; needs h5py and numpy). The tests compare every
group listing, string attribute, shape and value the Swift reader gives with what libhdf5 gives for the same file.

- hdf5_variants_earliest.h5: libver earliest (superblock 0, object header 1, symbol-table groups, layout 3 with a
  v1 B-tree chunk index);
- hdf5_variants_latest.h5: libver v110, the newest format libhdf5 1.10 reads (superblock 3, object header 2, link
  messages, a 12-link group in dense storage: fractal heap + v2 B-tree; layout 4 with single-chunk and
  fixed-array and implicit chunk indexes). h5py 3.16's "latest" is HDF5 2.0's format (layout message 5), not read here;
both holding the same datasets: float32 and float64, little- and big-endian, contiguous, compact, chunked without
filters, with deflate, with shuffle + deflate, with Fletcher-32, chunks that overhang the edges; fixed- and
variable-length string attributes (scalars and arrays), an empty attribute, nested groups.
- hdf5_keras2_latest.h5: a legacy Keras VGG16 layout (layer_names / weight_names) written with libver v110,
  values `((i * 7 + l * 13) % 101 - 50) / 256` (as make_keras_reference.py), kernels gzip-chunked.
"""
import os
import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def values(shape, seed, dtype):
    n = int(np.prod(shape))
    return (((np.arange(n) * 7 + seed * 13) % 101 - 50) / 256).astype(dtype).reshape(shape)


def fill(f):
    f.attrs["layer_names"] = np.array([b"block1_conv1", b"pool", b"dense"], dtype="S12")
    f.attrs["backend"] = "tensorflow"                                    # a scalar variable-length string
    f.attrs.create("vlen_names", ["alpha", "beta", "gamma_delta"], dtype=h5py.string_dtype())
    f.attrs["empty"] = np.zeros((0,), dtype="f8")
    g = f.create_group("data")
    g.attrs["weight_names"] = np.array([b"data/kernel:0", b"data/bias:0"], dtype="S16")
    g.create_dataset("contiguous_f4", data=values((3, 3, 4, 5), 1, "<f4"))
    g.create_dataset("big_endian_f4", data=values((7, 3), 2, ">f4"))
    g.create_dataset("float64", data=values((5, 6), 3, "<f8"))
    g.create_dataset("big_endian_f8", data=values((4,), 4, ">f8"))
    g.create_dataset("chunked", data=values((10, 7), 5, "<f4"), chunks=(4, 3))
    g.create_dataset("gzip", data=values((3, 3, 8, 16), 6, "<f4"), chunks=(3, 3, 8, 5), compression="gzip")
    g.create_dataset("shuffle_gzip", data=values((33,), 7, "<f8"), chunks=(10,), compression="gzip", shuffle=True)
    g.create_dataset("fletcher", data=values((6, 5), 8, "<f4"), chunks=(6, 5), fletcher32=True)
    g.create_dataset("single_chunk_gzip", data=values((9, 4), 9, ">f4"), chunks=(9, 4), compression="gzip")
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((2, 3))
    compact = h5py.h5d.create(g.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    compact.write(h5py.h5s.ALL, h5py.h5s.ALL, values((2, 3), 10, "<f4"))
    g.create_dataset("scalar", data=np.float32(2.5))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)                       # unfiltered chunks allocated at creation:
    dcpl.set_chunk((2, 2))                                                # the implicit chunk index in v110
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    early = h5py.h5d.create(g.id, b"early_chunks", h5py.h5t.IEEE_F32BE, h5py.h5s.create_simple((5, 3)), dcpl=dcpl)
    early.write(h5py.h5s.ALL, h5py.h5s.ALL, values((5, 3), 12, "<f4"))
    nested = f.create_group("a/b/c")
    nested.attrs["name"] = "deep"
    nested.create_dataset("x", data=values((2,), 11, "<f4"))
    many = f.create_group("many")                                        # dense links with libver v110
    for i in range(12):
        many.create_group(f"child_{i:02d}").attrs["name"] = f"child number {i}"


with h5py.File(os.path.join(here, "hdf5_variants_earliest.h5"), "w", libver="earliest") as f:
    fill(f)
with h5py.File(os.path.join(here, "hdf5_variants_latest.h5"), "w", libver="v110") as f:
    fill(f)

VGG16 = [(1, 1, 3, 64), (1, 2, 64, 64), (2, 1, 64, 128), (2, 2, 128, 128), (3, 1, 128, 256), (3, 2, 256, 256),
         (3, 3, 256, 256), (4, 1, 256, 512), (4, 2, 512, 512), (4, 3, 512, 512), (5, 1, 512, 512), (5, 2, 512, 512),
         (5, 3, 512, 512)]
with h5py.File(os.path.join(here, "hdf5_keras2_latest.h5"), "w", libver="v110") as f:
    names = []
    for l, (b, i, cin, cout) in enumerate(VGG16):
        name = f"block{b}_conv{i}"
        names.append(name)
        g = f.create_group(name)
        g.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()])
        g.create_dataset(f"{name}/kernel:0", data=values((3, 3, cin, cout), l, "<f4"), compression="gzip",
                         compression_opts=9, chunks=(3, 3, cin, min(cout, 128)))
        g.create_dataset(f"{name}/bias:0", data=values((cout,), l + 100, "<f4"))
    f.attrs["layer_names"] = np.array([n.encode() for n in names])
    f.attrs["backend"] = b"tensorflow"
