// C shim around libjpeg(-turbo): the error-manager (setjmp) pattern of libjpeg's example.txt.
// Nothing is printed: output_message and emit_message are replaced, so messages only reach the caller's buffer.
#include "cjpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int code;          // CJPEG_ERR_* to return after the jump
    char *msg;
    size_t msg_cap;
} cjpeg_error_mgr;

static void cjpeg_store_message(j_common_ptr cinfo) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    if (err->msg && err->msg_cap > 0) {
        snprintf(err->msg, err->msg_cap, "%s", buffer);
    }
}

static void cjpeg_error_exit(j_common_ptr cinfo) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    cjpeg_store_message(cinfo);
    err->code = CJPEG_ERR_CORRUPT;
    longjmp(err->jump, 1);
}

// msg_level -1 is a warning. "Premature end of JPEG file" (a truncated file, for which the data source inserts a
// fake EOI and libjpeg would go on filling grey) is turned into an error; other warnings (e.g. extraneous bytes
// before a marker, common in real files) are ignored. Trace messages (level >= 0) are ignored.
static void cjpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    if (msg_level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        cjpeg_store_message(cinfo);
        err->code = CJPEG_ERR_TRUNCATED;
        longjmp(err->jump, 1);
    }
    if (msg_level == -1) cinfo->err->num_warnings++;
}

static void cjpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void cjpeg_init_error(cjpeg_error_mgr *err, char *msg, size_t msg_cap) {
    jpeg_std_error(&err->pub);
    err->pub.error_exit = cjpeg_error_exit;
    err->pub.emit_message = cjpeg_emit_message;
    err->pub.output_message = cjpeg_output_message;
    err->code = CJPEG_OK;
    err->msg = msg;
    err->msg_cap = msg_cap;
    if (msg && msg_cap > 0) msg[0] = '\0';
}

static int cjpeg_color_space(J_COLOR_SPACE cs) {
    switch (cs) {
    case JCS_GRAYSCALE: return CJPEG_CS_GRAY;
    case JCS_RGB: return CJPEG_CS_RGB;
    case JCS_YCbCr: return CJPEG_CS_YCBCR;
    case JCS_CMYK: return CJPEG_CS_CMYK;
    case JCS_YCCK: return CJPEG_CS_YCCK;
    default: return CJPEG_CS_UNKNOWN;
    }
}

int cjpeg_read_header(const unsigned char *data, size_t size, cjpeg_info *info,
                      unsigned char *exif, size_t exif_cap, char *msg, size_t msg_cap) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    cjpeg_init_error(&err, msg, msg_cap);
    memset(info, 0, sizeof *info);
    cinfo.err = &err.pub;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return err.code;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&cinfo, TRUE);

    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    info->color_space = cjpeg_color_space(cinfo.jpeg_color_space);
    info->bits_per_sample = cinfo.data_precision;
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    info->adobe_inverted = cinfo.saw_Adobe_marker ? 1 : 0;
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != NULL; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            size_t n = m->data_length - 6;
            if (n > exif_cap) n = exif_cap;
            if (exif && n > 0) memcpy(exif, m->data + 6, n);
            info->exif_length = n;
            break;
        }
    }
    jpeg_destroy_decompress(&cinfo);
    return CJPEG_OK;
}

int cjpeg_decode_rgb8(const unsigned char *data, size_t size, unsigned char *out, size_t out_size,
                      char *msg, size_t msg_cap) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    JSAMPLE *volatile cmyk_row = NULL;   // volatile: survives the longjmp
    cjpeg_init_error(&err, msg, msg_cap);
    cinfo.err = &err.pub;
    if (setjmp(err.jump)) {
        free(cmyk_row);
        jpeg_destroy_decompress(&cinfo);
        return err.code;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    int is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int inverted = cinfo.saw_Adobe_marker ? 1 : 0;
    cinfo.out_color_space = is_cmyk ? JCS_CMYK : JCS_RGB;   // libjpeg converts gray and YCbCr to RGB, YCCK to CMYK
    size_t width = cinfo.image_width, height = cinfo.image_height;
    if (out_size < width * height * 3) {
        if (msg && msg_cap > 0) snprintf(msg, msg_cap, "output buffer of %zu bytes is too small", out_size);
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_ERR_ARGUMENT;
    }
    jpeg_start_decompress(&cinfo);
    if (is_cmyk) {
        cmyk_row = malloc(width * 4);
        if (!cmyk_row) {
            if (msg && msg_cap > 0) snprintf(msg, msg_cap, "out of memory");
            jpeg_destroy_decompress(&cinfo);
            return CJPEG_ERR_ARGUMENT;
        }
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *dst = out + (size_t)cinfo.output_scanline * width * 3;
        if (!is_cmyk) {
            JSAMPROW row = dst;
            jpeg_read_scanlines(&cinfo, &row, 1);
            continue;
        }
        JSAMPROW row = cmyk_row;
        jpeg_read_scanlines(&cinfo, &row, 1);
        // Adobe files store CMYK inverted (255 = no ink). With ink fractions c, k in [0, 1]: R = 255 (1-c)(1-k).
        for (size_t x = 0; x < width; x++) {
            unsigned int c = cmyk_row[4 * x], m = cmyk_row[4 * x + 1], y = cmyk_row[4 * x + 2], k = cmyk_row[4 * x + 3];
            if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
            // Now c, m, y, k are 255 * (1 - ink): R = c * k / 255, rounded.
            dst[3 * x] = (unsigned char)((c * k + 127) / 255);
            dst[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
            dst[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
        }
    }
    jpeg_finish_decompress(&cinfo);
    free(cmyk_row);
    jpeg_destroy_decompress(&cinfo);
    return CJPEG_OK;
}

int cjpeg_encode_rgb8(const unsigned char *rgb, int width, int height, int quality,
                      unsigned char **out, unsigned long *out_size, char *msg, size_t msg_cap) {
    struct jpeg_compress_struct cinfo;
    cjpeg_error_mgr err;
    unsigned char *volatile buffer = NULL;
    unsigned long volatile_size = 0;
    unsigned long *size_ptr = &volatile_size;
    cjpeg_init_error(&err, msg, msg_cap);
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || quality < 1 || quality > 100) {
        if (msg && msg_cap > 0) snprintf(msg, msg_cap, "invalid size %dx%d or quality %d", width, height, quality);
        return CJPEG_ERR_ARGUMENT;
    }
    cinfo.err = &err.pub;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return err.code;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, size_ptr);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.optimize_coding = TRUE;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = *size_ptr;
    return CJPEG_OK;
}

void cjpeg_free(void *p) { free(p); }
