// C shim around libpng's simplified API (png_image_*) for the Imaging module.
// The simplified API catches libpng's own error longjmps internally and reports failure by return value plus
// image.message, so no longjmp ever crosses a Swift frame. Every function returns a CPNG_* code and copies
// libpng's message into `msg`.
#ifndef CPNG_H
#define CPNG_H

#include <stddef.h>

/// Result codes of the cpng_* functions.
enum {
    CPNG_OK = 0,
    CPNG_ERR_CORRUPT = 1,    ///< libpng failed; see msg (e.g. "IDAT: CRC error", "read beyond end of data")
    CPNG_ERR_ARGUMENT = 2,   ///< wrong buffer size or argument; see msg
};

/// What png_image_begin_read reports about a PNG.
typedef struct {
    unsigned int width;
    unsigned int height;
    unsigned int format;     ///< PNG_FORMAT_* flags as libpng reports them
} cpng_info;

/// Reads the header of the PNG in `data` (no pixel decoding).
int cpng_read_header(const unsigned char *data, size_t size, cpng_info *info, char *msg, size_t msg_cap);

/// Decodes the PNG in `data` to 8-bit interleaved RGBA (H, W, 4), non-premultiplied, in `out` (width*height*4 bytes).
/// Every bit depth, gray, palette (with tRNS) and Adam7 interlacing are expanded by libpng. 16-bit samples are
/// taken as sRGB-encoded (PNG_IMAGE_FLAG_16BIT_sRGB) and scaled to 8 bits; files with a gAMA/sRGB/iCCP chunk are
/// converted to sRGB by libpng.
int cpng_decode_rgba8(const unsigned char *data, size_t size, unsigned char *out, size_t out_size,
                      char *msg, size_t msg_cap);

/// Decodes the PNG in `data` to 16-bit RGBA (H, W, 4), alpha-premultiplied, as libpng's simplified API gives
/// linear formats. Used for Adam7-interlaced 16-bit files, whose 16-to-8-bit path in libpng 1.6.39 as shipped by
/// Debian returns wrong rows (libpng issue #853). Without a gAMA/sRGB/iCCP chunk the samples are not changed
/// except for the premultiplication; with one, libpng converts them to linear light.
int cpng_decode_rgba16_premultiplied(const unsigned char *data, size_t size, unsigned short *out, size_t out_count,
                                     char *msg, size_t msg_cap);

/// Encodes 8-bit interleaved RGB (H, W, 3) as a PNG. Call first with out == NULL to get the size in *out_size,
/// then with a buffer of that size.
int cpng_encode_rgb8(const unsigned char *rgb, unsigned int width, unsigned int height,
                     unsigned char *out, size_t *out_size, char *msg, size_t msg_cap);

#endif
