// C shim around libjpeg(-turbo): the error-manager (setjmp) pattern of libjpeg's example.txt.
// Nothing is printed: output_message and emit_message are replaced, so messages only reach the caller's buffer.
#include "cjpeg.h"

#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
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
    char *warning;     // the first corrupt-data warning, when the caller wants it
    size_t warning_cap;
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
// fake EOI and libjpeg would go on filling grey) is turned into an error; other warnings (corrupt data that libjpeg
// recovers from: a bad Huffman code, extraneous bytes before a marker, a lost restart marker) are counted in
// num_warnings and the first one's text is kept for the caller, who reports it. Trace messages (level >= 0) are ignored.
static void cjpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    if (msg_level != -1) return;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        cjpeg_store_message(cinfo);
        err->code = CJPEG_ERR_TRUNCATED;
        longjmp(err->jump, 1);
    }
    if (cinfo->err->num_warnings == 0 && err->warning && err->warning_cap > 0) {
        char buffer[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buffer);
        snprintf(err->warning, err->warning_cap, "%s", buffer);
    }
    cinfo->err->num_warnings++;
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
    err->warning = NULL;
    err->warning_cap = 0;
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
    info->arithmetic = cinfo.arith_code ? 1 : 0;
    info->max_component_blocks = 0;
    for (int c = 0; c < cinfo.num_components; c++) {
        // width_in_blocks and height_in_blocks are at most 2^29 each: the product fits in 64 bits.
        uint64_t blocks = (uint64_t)cinfo.comp_info[c].width_in_blocks * cinfo.comp_info[c].height_in_blocks;
        if (blocks > info->max_component_blocks) info->max_component_blocks = blocks;
    }
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
                      size_t max_memory, int *warnings, char *warning, size_t warning_cap,
                      char *msg, size_t msg_cap) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    JSAMPLE *volatile cmyk_row = NULL;   // volatile: survives the longjmp
    cjpeg_init_error(&err, msg, msg_cap);
    err.warning = warning;
    err.warning_cap = warning_cap;
    if (warning && warning_cap > 0) warning[0] = '\0';
    *warnings = 0;
    cinfo.err = &err.pub;
    if (setjmp(err.jump)) {
        free(cmyk_row);
        jpeg_destroy_decompress(&cinfo);
        return err.code;
    }
    jpeg_create_decompress(&cinfo);
    // Caps the whole-image coefficient buffers of progressive and multi-scan files; libjpeg-turbo has no backing
    // store, so a file that needs more fails with JERR_NO_BACKING_STORE instead of allocating.
    cinfo.mem->max_memory_to_use = (long)max_memory;
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
    *warnings = (int)(err.pub.num_warnings > INT_MAX ? INT_MAX : err.pub.num_warnings);
    jpeg_destroy_decompress(&cinfo);
    return CJPEG_OK;
}

// A destination manager that owns its buffer, grown with realloc. libjpeg-turbo's jpeg_mem_dest frees and replaces
// its buffer as it grows but tells the caller the new address only at the end, so after an error the caller's
// pointer may be one already freed; here the current buffer is always in `buffer`, freed exactly once.
typedef struct {
    struct jpeg_destination_mgr pub;
    unsigned char *buffer;
    size_t capacity;
    size_t max_size;
} cjpeg_destination;

#define CJPEG_FIRST_BUFFER 65536

static void cjpeg_dest_init(j_compress_ptr cinfo) {
    cjpeg_destination *dest = (cjpeg_destination *)cinfo->dest;
    dest->buffer = malloc(CJPEG_FIRST_BUFFER);
    if (!dest->buffer) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    dest->capacity = CJPEG_FIRST_BUFFER;
    dest->pub.next_output_byte = dest->buffer;
    dest->pub.free_in_buffer = dest->capacity;
}

// Called when the buffer is full (free_in_buffer == 0): doubles it, up to max_size.
static boolean cjpeg_dest_grow(j_compress_ptr cinfo) {
    cjpeg_destination *dest = (cjpeg_destination *)cinfo->dest;
    size_t used = dest->capacity;
    if (dest->capacity > dest->max_size / 2) ERREXIT(cinfo, JERR_FILE_WRITE);   // "Output file write error"
    unsigned char *grown = realloc(dest->buffer, dest->capacity * 2);
    if (!grown) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 1);
    dest->buffer = grown;
    dest->capacity *= 2;
    dest->pub.next_output_byte = grown + used;
    dest->pub.free_in_buffer = dest->capacity - used;
    return TRUE;
}

static void cjpeg_dest_term(j_compress_ptr cinfo) { (void)cinfo; }

int cjpeg_encode_rgb8(const unsigned char *rgb, int width, int height, int quality, size_t max_size,
                      unsigned char **out, unsigned long *out_size, char *msg, size_t msg_cap) {
    struct jpeg_compress_struct cinfo;
    cjpeg_error_mgr err;
    cjpeg_destination dest;   // changed only through cinfo.dest, so kept in memory across the longjmp like `err`
    memset(&dest, 0, sizeof dest);
    dest.pub.init_destination = cjpeg_dest_init;
    dest.pub.empty_output_buffer = cjpeg_dest_grow;
    dest.pub.term_destination = cjpeg_dest_term;
    dest.max_size = max_size < CJPEG_FIRST_BUFFER ? CJPEG_FIRST_BUFFER : max_size;
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
        free(dest.buffer);
        return err.code;
    }
    jpeg_create_compress(&cinfo);
    cinfo.dest = &dest.pub;
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
    *out = dest.buffer;
    *out_size = (unsigned long)(dest.capacity - dest.pub.free_in_buffer);
    return CJPEG_OK;
}

void cjpeg_free(void *p) { free(p); }
