// libjpeg (libjpeg-turbo), for reading and writing JPEG images (CEmberImageCodecs wraps it).
// jpeglib.h uses FILE and size_t without including their headers.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
