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

/// Object kinds returned by chdf5_object_kind.
enum { CHDF5_ABSENT = 0, CHDF5_GROUP = 1, CHDF5_DATASET = 2, CHDF5_OTHER = 3 };

/// Opens `path` read-only; `*file` receives the file id. Turns off HDF5's automatic error printing.
int chdf5_open(const char *path, int64_t *file, char *msg, size_t msglen);

/// Closes a file opened by chdf5_open (and every object left open inside it).
int chdf5_close(int64_t file);

/// Kind of the object at `path` (absolute, '/'-separated): each link along the path is checked with
/// H5Lexists, so a missing intermediate group gives CHDF5_ABSENT rather than an error.
int chdf5_object_kind(int64_t file, const char *path, int *kind, char *msg, size_t msglen);

/// Reads the string or string-array attribute `name` of the object at `object`, fixed- or variable-length.
/// On success `*out` is a malloc'ed buffer of `*count` NUL-terminated strings laid end to end,
/// `*outlen` bytes in all; free it with chdf5_free. Returns 1 when the attribute does not exist.
int chdf5_read_string_attribute(int64_t file, const char *object, const char *name,
                                char **out, size_t *outlen, int *count, char *msg, size_t msglen);

/// Rank and dimensions (at most `maxrank`) of the dataset at `path`.
int chdf5_dataset_shape(int64_t file, const char *path, int *rank, int64_t *dims, int maxrank,
                        char *msg, size_t msglen);

/// Reads the whole dataset at `path` converted to float32 into `out`, which holds `count` floats;
/// `count` must equal the dataset's number of elements.
int chdf5_read_float(int64_t file, const char *path, float *out, size_t count, char *msg, size_t msglen);

/// Names of the links in the group at `path`, in name order, as for chdf5_read_string_attribute.
int chdf5_list_children(int64_t file, const char *path, char **out, size_t *outlen, int *count,
                        char *msg, size_t msglen);

/// Frees a buffer returned by this shim.
void chdf5_free(void *p);

#endif
