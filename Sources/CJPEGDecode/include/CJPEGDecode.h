#ifndef IMBENCH_CJPEGDECODE_H
#define IMBENCH_CJPEGDECODE_H
#include <stddef.h>

/// Header facts of a JPEG stream, read without decoding the image.
typedef struct {
    int width;
    int height;
    /// Components in the file: 1 (grey), 3 (YCbCr or RGB) or 4 (CMYK / YCCK).
    int components;
    /// 1 when the file is progressive.
    int progressive;
} imbench_jpeg_info;

/// Reads the header of the JPEG in `data[0..<size]`. Returns 0 on success; otherwise
/// writes libjpeg's message (NUL-terminated, at most `message_size` bytes) and returns -1.
int imbench_jpeg_read_info(const unsigned char *data, size_t size, imbench_jpeg_info *info,
                           char *message, size_t message_size);

/// Decodes the JPEG in `data[0..<size]` into `out` as interleaved 8-bit samples, row after
/// row: `channels` = 1 (greyscale) or 3 (RGB); libjpeg converts colour spaces. `out` holds
/// `capacity` bytes, which must be at least width * height * channels of the header
/// (checked). Integer IDCT (JDCT_ISLOW) and libjpeg's default (fancy) upsampling, so the
/// same file gives the same bytes on every machine. Warnings (corrupt data libjpeg would
/// paper over) are errors. Returns 0 on success, else -1 with the message as above.
int imbench_jpeg_decode(const unsigned char *data, size_t size, int channels,
                        unsigned char *out, size_t capacity, imbench_jpeg_info *info,
                        char *message, size_t message_size);

/// Encodes interleaved 8-bit samples (`channels` = 1 or 3) as a JPEG of `quality` 1-100,
/// progressive when `progressive` is 1. On success returns 0 and sets `*out` / `*out_size`
/// to a buffer the caller frees with `imbench_jpeg_free`; else -1 with the message. For
/// tests and dataset export: the suite itself only decodes.
int imbench_jpeg_encode(const unsigned char *pixels, int width, int height, int channels,
                        int quality, int progressive, unsigned char **out, size_t *out_size,
                        char *message, size_t message_size);
void imbench_jpeg_free(unsigned char *buffer);
#endif
