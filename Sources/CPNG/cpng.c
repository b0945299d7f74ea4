// C shim around libpng's simplified API. See cpng.h.
#include "cpng.h"

#include <stdio.h>
#include <string.h>
#include <png.h>

static void cpng_copy_message(const png_image *image, char *msg, size_t msg_cap) {
    if (msg && msg_cap > 0) snprintf(msg, msg_cap, "%s", image->message);
}

int cpng_read_header(const unsigned char *data, size_t size, cpng_info *info, char *msg, size_t msg_cap) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    memset(info, 0, sizeof *info);
    if (msg && msg_cap > 0) msg[0] = '\0';
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        cpng_copy_message(&image, msg, msg_cap);
        png_image_free(&image);
        return CPNG_ERR_CORRUPT;
    }
    info->width = image.width;
    info->height = image.height;
    info->format = image.format;
    png_image_free(&image);
    return CPNG_OK;
}

// Shared body of the two decoders: `format` is the PNG_FORMAT_* requested, `out_bytes` the buffer size.
static int cpng_decode(const unsigned char *data, size_t size, void *out, size_t out_bytes, png_uint_32 format,
                       png_uint_32 flags, char *msg, size_t msg_cap) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (msg && msg_cap > 0) msg[0] = '\0';
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        cpng_copy_message(&image, msg, msg_cap);
        png_image_free(&image);
        return CPNG_ERR_CORRUPT;
    }
    image.format = format;
    image.flags |= flags;
    if (out_bytes < PNG_IMAGE_SIZE(image)) {
        if (msg && msg_cap > 0) snprintf(msg, msg_cap, "output buffer of %zu bytes is too small", out_bytes);
        png_image_free(&image);
        return CPNG_ERR_ARGUMENT;
    }
    if (!png_image_finish_read(&image, NULL, out, 0, NULL)) {
        cpng_copy_message(&image, msg, msg_cap);
        png_image_free(&image);
        return CPNG_ERR_CORRUPT;
    }
    png_image_free(&image);
    return CPNG_OK;
}

int cpng_decode_rgba8(const unsigned char *data, size_t size, unsigned char *out, size_t out_size,
                      char *msg, size_t msg_cap) {
    return cpng_decode(data, size, out, out_size, PNG_FORMAT_RGBA, PNG_IMAGE_FLAG_16BIT_sRGB, msg, msg_cap);
}

int cpng_decode_rgba16_premultiplied(const unsigned char *data, size_t size, unsigned short *out, size_t out_count,
                                     char *msg, size_t msg_cap) {
    return cpng_decode(data, size, out, out_count * sizeof(unsigned short), PNG_FORMAT_LINEAR_RGB_ALPHA, 0,
                       msg, msg_cap);
}

int cpng_encode_rgb8(const unsigned char *rgb, unsigned int width, unsigned int height,
                     unsigned char *out, size_t *out_size, char *msg, size_t msg_cap) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_RGB;
    if (msg && msg_cap > 0) msg[0] = '\0';
    png_alloc_size_t size = out ? *out_size : 0;
    if (!png_image_write_to_memory(&image, out, &size, 0, rgb, 0, NULL)) {
        cpng_copy_message(&image, msg, msg_cap);
        png_image_free(&image);
        return CPNG_ERR_CORRUPT;
    }
    *out_size = size;
    png_image_free(&image);
    return CPNG_OK;
}
