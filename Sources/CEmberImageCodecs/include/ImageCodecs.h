#ifndef EMBER_IMAGE_CODECS_H
#define EMBER_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

// PNG and JPEG through libpng and libjpeg. Both libraries report errors by longjmp out of a callback,
// which Swift cannot do, so these few C functions set up the jump and hand back a message instead.

/// Decoded pixels: height rows of width × channels bytes (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA),
/// in memory the caller releases with ember_image_free.
typedef struct {
    int width;
    int height;
    int channels;
    uint8_t *pixels;
} ember_decoded_image;

/// Decodes a PNG held in memory: palettes become RGB(A), gray below 8 bits is scaled to 0...255,
/// transparency chunks become an alpha channel, 16-bit samples keep their high byte (as Pillow does for
/// colour; for 16-bit gray Pillow clamps the value to 255 instead, which turns most images white).
/// Images of more than maxPixels pixels (0: no limit) are refused before any pixel is decoded.
/// Returns 0, or -1 with a message in `error` (NUL-terminated, at most errorSize bytes).
int ember_png_decode(const uint8_t *data, size_t size, size_t maxPixels, ember_decoded_image *out, char *error,
                     size_t errorSize);

/// Decodes a baseline or progressive JPEG held in memory to gray (1 channel) or RGB (3), with libjpeg's
/// default accurate integer IDCT and smooth chroma upsampling (what Pillow gets). CMYK is refused, as are
/// images of more than maxPixels pixels.
int ember_jpeg_decode(const uint8_t *data, size_t size, size_t maxPixels, ember_decoded_image *out, char *error,
                      size_t errorSize);

/// Encodes pixels (channels 1-4, as above) as an 8-bit PNG in memory released with ember_image_free.
int ember_png_encode(const uint8_t *pixels, int width, int height, int channels,
                     uint8_t **outData, size_t *outSize, char *error, size_t errorSize);

/// Encodes gray (1 channel) or RGB (3) pixels as a JPEG of the given quality (1-100).
int ember_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                      uint8_t **outData, size_t *outSize, char *error, size_t errorSize);

/// Releases memory returned by the functions above.
void ember_image_free(void *memory);

#endif
