// zlib, for the HDF5 reader's deflate filter (uncompress into a buffer of the chunk's known size).
#include <zlib.h>
