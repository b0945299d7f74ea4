// C shim around libjpeg(-turbo) for the Imaging module.
// libjpeg reports fatal errors through error_exit, which by default calls exit(); here error_exit longjmps back
// into the C function that set the jump (the error-manager pattern of libjpeg's example.txt), so no longjmp ever
// crosses a Swift frame. Every function returns a CJPEG_* code and writes libjpeg's own message into `msg`.
#ifndef CJPEG_H
#define CJPEG_H

#include <stddef.h>

/// Result codes of the cjpeg_* functions.
enum {
    CJPEG_OK = 0,
    CJPEG_ERR_CORRUPT = 1,     ///< libjpeg raised an error (bad or unsupported data); see msg.
    CJPEG_ERR_TRUNCATED = 2,   ///< libjpeg warned "Premature end of JPEG file" (JWRN_JPEG_EOF); treated as an error.
    CJPEG_ERR_ARGUMENT = 3,    ///< a caller-provided buffer or argument is wrong; see msg.
};

/// Colour spaces as stored in the file (mirror of the J_COLOR_SPACE values that matter here).
enum {
    CJPEG_CS_UNKNOWN = 0, CJPEG_CS_GRAY = 1, CJPEG_CS_RGB = 2, CJPEG_CS_YCBCR = 3, CJPEG_CS_CMYK = 4, CJPEG_CS_YCCK = 5,
};

/// What the header says about a JPEG file.
typedef struct {
    int width;             ///< stored width in pixels (before EXIF orientation)
    int height;            ///< stored height in pixels
    int components;        ///< 1 (gray), 3 (YCbCr/RGB) or 4 (CMYK/YCCK)
    int color_space;       ///< CJPEG_CS_*
    int bits_per_sample;   ///< data_precision: 8 (or 12)
    int progressive;       ///< 1 for a progressive (SOF2) file
    int adobe_inverted;    ///< 1 when an Adobe APP14 marker is present (CMYK stored inverted)
    size_t exif_length;    ///< bytes copied into the caller's exif buffer (0 when there is no Exif APP1)
    int arithmetic;        ///< 1 for arithmetic coding (SOF9-11), 0 for Huffman
    unsigned long long max_component_blocks;   ///< 8x8 blocks of the largest component
} cjpeg_info;

/// Reads the header of the JPEG in `data` (no pixel decoding). Copies the payload of the first APP1 "Exif" marker
/// (after the 6-byte "Exif\0\0" prefix) into `exif` (up to `exif_cap` bytes). Returns CJPEG_OK or an error code.
int cjpeg_read_header(const unsigned char *data, size_t size, cjpeg_info *info,
                      unsigned char *exif, size_t exif_cap, char *msg, size_t msg_cap);

/// Decodes the JPEG in `data` to 8-bit interleaved RGB (H, W, 3) in `out`, which must hold width*height*3 bytes as
/// given by cjpeg_read_header. Gray is replicated; CMYK/YCCK becomes RGB by R = 255 (1-C)(1-K) etc., with Adobe
/// inverted CMYK handled. No EXIF orientation is applied here.
/// `max_memory` caps libjpeg's whole-image buffers (progressive and multi-scan files); a file needing more fails
/// with "Backing store not supported". Corrupt data that libjpeg recovers from is counted in `*warnings`, the first
/// such message copied into `warning`.
int cjpeg_decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_size,
                      size_t max_memory, int *warnings, char *warning, size_t warning_cap,
                      char *msg, size_t msg_cap);

/// Encodes 8-bit interleaved RGB (H, W, 3) as a baseline JPEG with the given quality (1...100, libjpeg's scale)
/// and optimized Huffman tables. On success *out is a malloc'ed buffer of *out_size bytes: release with cjpeg_free.
/// An encoding that would exceed `max_size` bytes fails ("Output file write error"); nothing is left allocated.
int cjpeg_encode_rgb8(const unsigned char *rgb, int width, int height, int quality, size_t max_size,
                      unsigned char **out, unsigned long *out_size, char *msg, size_t msg_cap);

/// Frees a buffer returned by cjpeg_encode_rgb8.
void cjpeg_free(void *p);

#endif
