#ifndef VIZOR_CFUSE_SHIM_H
#define VIZOR_CFUSE_SHIM_H
#define FUSE_USE_VERSION 31
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>
#endif
