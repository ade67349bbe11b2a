#include "ImageCodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

void ember_image_free(void *memory) { free(memory); }

static int fail(char *error, size_t errorSize, const char *message) {
    if (errorSize > 0) snprintf(error, errorSize, "%s", message);
    return -1;
}

/// Refuses sizes whose pixel buffer would not fit in memory before any allocation.
static int pixel_bytes(size_t width, size_t height, size_t channels, size_t *bytes) {
    if (width == 0 || height == 0) return -1;
    if (width > SIZE_MAX / height / channels) return -1;
    *bytes = width * height * channels;
    return 0;
}

// MARK: PNG

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t position;
} png_memory_source;

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int failed;
} png_memory_sink;

typedef struct {
    char *buffer;
    size_t size;
    /// The last warning, which often says why the error that follows happened.
    char warning[128];
} png_error_sink;

static void png_on_error(png_structp png, png_const_charp message) {
    png_error_sink *sink = png_get_error_ptr(png);
    if (sink->size > 0) {
        if (sink->warning[0]) snprintf(sink->buffer, sink->size, "%s (%s)", message, sink->warning);
        else snprintf(sink->buffer, sink->size, "%s", message);
    }
    png_longjmp(png, 1);
}

/// Warnings (a bad ancillary chunk, say) do not stop decoding, as in Pillow; the last is kept for an error.
static void png_on_warning(png_structp png, png_const_charp message) {
    png_error_sink *sink = png_get_error_ptr(png);
    snprintf(sink->warning, sizeof sink->warning, "%s", message);
}

/// PNG allows sizes up to 2^31 - 1; libpng's default limit of 1,000,000 is lifted (Pillow has none).
static void png_lift_size_limits(png_structp png) { png_set_user_limits(png, 0x7fffffff, 0x7fffffff); }

static int too_many_pixels(size_t width, size_t height, size_t maxPixels, char *error, size_t errorSize) {
    if (maxPixels > 0 && (width > maxPixels || height > maxPixels || width * height > maxPixels)) {
        if (errorSize > 0) {
            snprintf(error, errorSize, "the image is %zux%zu pixels, over the limit of %zu pixels "
                     "(a guard against decompression bombs): pass a larger maxPixels to read it", width, height, maxPixels);
        }
        return 1;
    }
    return 0;
}

static void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
    png_memory_source *source = png_get_io_ptr(png);
    if (count > source->size - source->position) png_error(png, "the file ends before the image data does (truncated)");
    memcpy(out, source->data + source->position, count);
    source->position += count;
}

int ember_png_decode(const uint8_t *data, size_t size, size_t maxPixels, ember_decoded_image *out, char *error,
                     size_t errorSize) {
    png_error_sink sink = {error, errorSize, {0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, png_on_error, png_on_warning);
    if (!png) return fail(error, errorSize, "libpng could not start (out of memory)");
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        if (!info) fail(error, errorSize, "libpng could not start (out of memory)");
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_memory_source source = {data, size, 0};
    png_set_read_fn(png, &source, png_read_memory);
    png_lift_size_limits(png);
    png_read_info(png, info);

    png_uint_32 width, height;
    int depth, colorType, interlace;
    png_get_IHDR(png, info, &width, &height, &depth, &colorType, &interlace, NULL, NULL);
    if (too_many_pixels(width, height, maxPixels, error, errorSize)) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (colorType == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    size_t rowBytes = png_get_rowbytes(png, info), bytes;
    if (rowBytes != (size_t)width * channels || pixel_bytes(width, height, channels, &bytes) != 0) {
        png_error(png, "unexpected row layout after conversion to 8-bit samples");
    }
    pixels = malloc(bytes);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) png_error(png, "out of memory for the pixels");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * rowBytes;
    png_read_image(png, rows);

    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->width = (int)width;
    out->height = (int)height;
    out->channels = channels;
    out->pixels = pixels;
    return 0;
}

static void png_write_memory(png_structp png, png_bytep bytes, png_size_t count) {
    png_memory_sink *sink = png_get_io_ptr(png);
    if (sink->size + count > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity : 4096;
        while (capacity < sink->size + count) capacity *= 2;
        uint8_t *grown = realloc(sink->data, capacity);
        if (!grown) png_error(png, "out of memory for the encoded file");
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, count);
    sink->size += count;
}

static void png_flush_memory(png_structp png) { (void)png; }

int ember_png_encode(const uint8_t *pixels, int width, int height, int channels,
                     uint8_t **outData, size_t *outSize, char *error, size_t errorSize) {
    static const int colorTypes[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA};
    if (channels < 1 || channels > 4 || width <= 0 || height <= 0) return fail(error, errorSize, "PNG needs 1 to 4 channels and a positive size");
    png_error_sink errors = {error, errorSize, {0}};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, png_on_error, png_on_warning);
    if (!png) return fail(error, errorSize, "libpng could not start (out of memory)");
    png_infop info = png_create_info_struct(png);
    png_memory_sink sink = {NULL, 0, 0, 0};
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        if (!info) fail(error, errorSize, "libpng could not start (out of memory)");
        free(rows);
        free(sink.data);
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, &sink, png_write_memory, png_flush_memory);
    png_lift_size_limits(png);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, colorTypes[channels - 1], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    rows = malloc(sizeof(png_bytep) * height);
    if (!rows) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * width * channels;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    free(rows);
    png_destroy_write_struct(&png, &info);
    *outData = sink.data;
    *outSize = sink.size;
    return 0;
}

// MARK: JPEG

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *buffer;
    size_t size;
} jpeg_error_sink;

static void jpeg_on_error(j_common_ptr info) {
    jpeg_error_sink *sink = (jpeg_error_sink *)info->err;
    char message[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, message);
    fail(sink->buffer, sink->size, message);
    longjmp(sink->jump, 1);
}

/// Warnings about corrupt data are tolerated (Pillow decodes such files too), except running out of
/// data: libjpeg would fill the rest of the image with gray, where Pillow reports a truncated file.
static void jpeg_on_message(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) {
        jpeg_error_sink *sink = (jpeg_error_sink *)info->err;
        fail(sink->buffer, sink->size, "the file ends before the image data does (truncated)");
        longjmp(sink->jump, 1);
    }
}

int ember_jpeg_decode(const uint8_t *data, size_t size, size_t maxPixels, ember_decoded_image *out, char *error,
                      size_t errorSize) {
    struct jpeg_decompress_struct info;
    jpeg_error_sink sink;
    info.err = jpeg_std_error(&sink.base);
    sink.base.error_exit = jpeg_on_error;
    sink.base.emit_message = jpeg_on_message;
    sink.buffer = error;
    sink.size = errorSize;
    uint8_t *volatile pixels = NULL;
    if (setjmp(sink.jump)) {
        free(pixels);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
        fail(error, errorSize, "CMYK JPEGs are not supported; save the image as RGB");
        jpeg_destroy_decompress(&info);
        return -1;
    }
    if (too_many_pixels(info.image_width, info.image_height, maxPixels, error, errorSize)) {
        jpeg_destroy_decompress(&info);
        return -1;
    }
    info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t channels = (size_t)info.output_components, bytes;
    if (pixel_bytes(info.output_width, info.output_height, channels, &bytes) != 0) {
        fail(error, errorSize, "the image is too large to hold in memory");
        jpeg_destroy_decompress(&info);
        return -1;
    }
    pixels = malloc(bytes);
    if (!pixels) {
        fail(error, errorSize, "out of memory for the pixels");
        jpeg_destroy_decompress(&info);
        return -1;
    }
    size_t rowBytes = (size_t)info.output_width * channels;
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * rowBytes;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    out->width = (int)info.output_width;
    out->height = (int)info.output_height;
    out->channels = (int)channels;
    out->pixels = pixels;
    jpeg_destroy_decompress(&info);
    return 0;
}

/// A growable output buffer that libjpeg writes into. (jpeg_mem_dest frees and replaces its buffer as it
/// grows without telling the caller, so after an error the caller could not free the right one.)
typedef struct {
    struct jpeg_destination_mgr base;
    uint8_t *data;
    size_t capacity;
} jpeg_memory_sink;

static void jpeg_sink_start(j_compress_ptr info) {
    jpeg_memory_sink *sink = (jpeg_memory_sink *)info->dest;
    sink->base.next_output_byte = sink->data;
    sink->base.free_in_buffer = sink->capacity;
}

static boolean jpeg_sink_grow(j_compress_ptr info) {
    jpeg_memory_sink *sink = (jpeg_memory_sink *)info->dest;
    size_t used = sink->capacity;  // libjpeg calls this only when the buffer is full
    uint8_t *grown = realloc(sink->data, sink->capacity * 2);
    if (!grown) ERREXIT1(info, JERR_OUT_OF_MEMORY, 10);
    sink->data = grown;
    sink->capacity *= 2;
    sink->base.next_output_byte = grown + used;
    sink->base.free_in_buffer = sink->capacity - used;
    return TRUE;
}

static void jpeg_sink_finish(j_compress_ptr info) { (void)info; }

int ember_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                      uint8_t **outData, size_t *outSize, char *error, size_t errorSize) {
    if ((channels != 1 && channels != 3) || width <= 0 || height <= 0) {
        return fail(error, errorSize, "JPEG needs 1 (gray) or 3 (RGB) channels and a positive size");
    }
    if (width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        return fail(error, errorSize, "JPEG images are at most 65500 pixels wide and high; save it as PNG");
    }
    struct jpeg_compress_struct info;
    jpeg_error_sink errors;
    info.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = jpeg_on_error;
    errors.buffer = error;
    errors.size = errorSize;
    jpeg_memory_sink sink = {.data = malloc(65536), .capacity = 65536};
    if (!sink.data) return fail(error, errorSize, "out of memory for the encoded file");
    sink.base.init_destination = jpeg_sink_start;
    sink.base.empty_output_buffer = jpeg_sink_grow;
    sink.base.term_destination = jpeg_sink_finish;
    if (setjmp(errors.jump)) {
        jpeg_destroy_compress(&info);
        free(sink.data);  // the sink lives in memory libjpeg updates, so its pointer is current
        return -1;
    }
    jpeg_create_compress(&info);
    info.dest = &sink.base;
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    size_t rowBytes = (size_t)width * channels;
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)pixels + (size_t)info.next_scanline * rowBytes;
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    *outData = sink.data;
    *outSize = sink.capacity - sink.base.free_in_buffer;
    jpeg_destroy_compress(&info);
    return 0;
}
