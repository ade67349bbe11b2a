// libpng, for reading and writing PNG images (CEmberImageCodecs wraps it).
#include <png.h>
