// chdf5: the few HDF5 calls the weight readers need, as prefixed functions that return an int
// and fill a message buffer. C because HDF5's type constants (H5T_NATIVE_FLOAT, H5P_DEFAULT...)
// are macros over library globals that Swift cannot import.
//
// Return codes: 0 success, 1 "not found" (where stated), -1 error with `msg` filled
// (the library's own message where it has one).
#ifndef CHDF5_H
#define CHDF5_H
#include <stddef.h>
#include <stdint.h>

/// Limits on what a file can make the shim allocate: strings per attribute, bytes per attribute, links per group.
enum { CHDF5_MAX_ATTRIBUTE_STRINGS = 1 << 16, CHDF5_MAX_ATTRIBUTE_BYTES = 64 << 20, CHDF5_MAX_CHILDREN = 1 << 20 };

/// Object kinds returned by chdf5_object_kind.
enum { CHDF5_ABSENT = 0, CHDF5_GROUP = 1, CHDF5_DATASET = 2, CHDF5_OTHER = 3 };

/// Opens `path` read-only; `*file` receives the file id. Turns off HDF5's automatic error printing.
int chdf5_open(const char *path, int64_t *file, char *msg, size_t msglen);

/// Closes a file opened by chdf5_open (and every object left open inside it).
int chdf5_close(int64_t file);

/// Kind of the object at `path` (absolute, '/'-separated): each link along the path is checked with
/// H5Lexists, so a missing intermediate group gives CHDF5_ABSENT rather than an error. Only hard links are
/// followed: a soft or external link on the path gives CHDF5_OTHER.
int chdf5_object_kind(int64_t file, const char *path, int *kind, char *msg, size_t msglen);

/// Reads the string or string-array attribute `name` of the object at `object`, fixed- or variable-length,
/// of at most CHDF5_MAX_ATTRIBUTE_STRINGS strings and CHDF5_MAX_ATTRIBUTE_BYTES bytes (sizes checked for overflow).
/// On success `*out` is a malloc'ed buffer of `*count` NUL-terminated strings laid end to end,
/// `*outlen` bytes in all; free it with chdf5_free. Returns 1 when the attribute does not exist.
int chdf5_read_string_attribute(int64_t file, const char *object, const char *name,
                                char **out, size_t *outlen, int *count, char *msg, size_t msglen);

/// Rank and dimensions (at most `maxrank`) of the dataset at `path`.
int chdf5_dataset_shape(int64_t file, const char *path, int *rank, int64_t *dims, int maxrank,
                        char *msg, size_t msglen);

/// Reads the whole dataset at `path` converted to float32 into `out`, which holds `count` floats;
/// `count` must equal the dataset's number of elements. Datasets stored outside the file (external raw files,
/// virtual datasets) are refused.
int chdf5_read_float(int64_t file, const char *path, float *out, size_t count, char *msg, size_t msglen);

/// Names of the hard links in the group at `path` (at most CHDF5_MAX_CHILDREN), in name order, as for
/// chdf5_read_string_attribute.
int chdf5_list_children(int64_t file, const char *path, char **out, size_t *outlen, int *count,
                        char *msg, size_t msglen);

/// The file number and address of the object at `path`: equal for every path that leads to the same object.
int chdf5_object_address(int64_t file, const char *path, uint64_t *fileno, uint64_t *address, char *msg, size_t msglen);

/// Frees a buffer returned by this shim.
void chdf5_free(void *p);

#endif
