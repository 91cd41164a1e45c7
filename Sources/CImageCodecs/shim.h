// The system image codecs Vigil decodes with. Each reports errors by return value
// (TurboJPEG, libpng's simplified API, libwebp's simple API, giflib), so no C error path
// can longjmp through Swift frames or call exit().
#ifndef VIGIL_CIMAGECODECS_SHIM_H
#define VIGIL_CIMAGECODECS_SHIM_H
#include <stdio.h> // jpeglib-family headers need FILE first
#include <stddef.h>
#include <turbojpeg.h>
#include <png.h>
#include <webp/decode.h>
#include <gif_lib.h>
#endif
