// zlib, for reading .gz files (MNIST's IDX files ship gzip-compressed).
#include <zlib.h>
