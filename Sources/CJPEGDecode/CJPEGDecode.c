// libjpeg reports errors by calling error_exit, which must not return; the library's own
// answer is setjmp/longjmp, which Swift cannot express, so the decoder lives here in C and
// returns error codes and messages instead.
#include "CJPEGDecode.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    size_t message_size;
} imbench_error_mgr;

static void imbench_error_exit(j_common_ptr cinfo) {
    imbench_error_mgr *err = (imbench_error_mgr *)cinfo->err;
    if (err->message && err->message_size > 0) {
        char buffer[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buffer);
        snprintf(err->message, err->message_size, "%s", buffer);
    }
    longjmp(err->jump, 1);
}

// A warning (level -1) means corrupt data libjpeg recovered from, e.g. a truncated stream
// it padded with grey: treat it as the error it is. Trace messages (level >= 0) are ignored.
static void imbench_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0) imbench_error_exit(cinfo);
}

static int imbench_start(struct jpeg_decompress_struct *cinfo, imbench_error_mgr *err,
                         const unsigned char *data, size_t size) {
    cinfo->err = jpeg_std_error(&err->base);
    err->base.error_exit = imbench_error_exit;
    err->base.emit_message = imbench_emit_message;
    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    return jpeg_read_header(cinfo, TRUE);
}

static void imbench_fill_info(struct jpeg_decompress_struct *cinfo, imbench_jpeg_info *info) {
    info->width = (int)cinfo->image_width;
    info->height = (int)cinfo->image_height;
    info->components = cinfo->num_components;
    info->progressive = jpeg_has_multiple_scans(cinfo) ? 1 : 0;
}

/// Reads the header and, when `out` is given, decodes into it: the one place that sets up
/// libjpeg's error recovery for decompression.
static int imbench_jpeg_run(const unsigned char *data, size_t size, int channels,
                            unsigned char *out, size_t capacity, imbench_jpeg_info *info,
                            char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    imbench_error_mgr err;
    err.message = message;
    err.message_size = message_size;
    if (size == 0) {
        snprintf(message, message_size, "empty input");
        return -1;
    }
    if (out && channels != 1 && channels != 3) {
        snprintf(message, message_size, "channels must be 1 or 3, got %d", channels);
        return -1;
    }
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    if (imbench_start(&cinfo, &err, data, size) != JPEG_HEADER_OK) {
        snprintf(message, message_size, "no image in the JPEG stream (tables only)");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    imbench_fill_info(&cinfo, info);
    if (!out) {
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        snprintf(message, message_size, "CMYK/YCCK JPEGs are not supported; expected greyscale or colour (YCbCr/RGB)");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&cinfo);
    size_t row = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if ((int)cinfo.output_components != channels
        || cinfo.output_height == 0 || row == 0
        || (size_t)cinfo.output_height > capacity / row) {
        snprintf(message, message_size, "decoded image (%u x %u x %d) does not fit the %zu-byte buffer",
                 cinfo.output_width, cinfo.output_height, cinfo.output_components, capacity);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1];
        rows[0] = out + (size_t)cinfo.output_scanline * row;
        jpeg_read_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int imbench_jpeg_read_info(const unsigned char *data, size_t size, imbench_jpeg_info *info,
                           char *message, size_t message_size) {
    return imbench_jpeg_run(data, size, 0, NULL, 0, info, message, message_size);
}

int imbench_jpeg_decode(const unsigned char *data, size_t size, int channels,
                        unsigned char *out, size_t capacity, imbench_jpeg_info *info,
                        char *message, size_t message_size) {
    if (!out) {
        snprintf(message, message_size, "no output buffer");
        return -1;
    }
    return imbench_jpeg_run(data, size, channels, out, capacity, info, message, message_size);
}

int imbench_jpeg_encode(const unsigned char *pixels, int width, int height, int channels,
                        int quality, int progressive, unsigned char **out, size_t *out_size,
                        char *message, size_t message_size) {
    struct jpeg_compress_struct cinfo;
    imbench_error_mgr err;
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    err.message = message;
    err.message_size = message_size;
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3)) {
        snprintf(message, message_size, "bad image shape %d x %d x %d", width, height, channels);
        return -1;
    }
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return -1;
    }
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = imbench_error_exit;
    err.base.emit_message = imbench_emit_message;
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    size_t row = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1];
        rows[0] = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * row);
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = size;
    return 0;
}

void imbench_jpeg_free(unsigned char *buffer) { free(buffer); }
