#ifndef VIZOR_CFUSE_SHIM_H
#define VIZOR_CFUSE_SHIM_H
#define FUSE_USE_VERSION 31
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

/* fuse_new and fuse_loop_mt are macros over versioned symbols, which Swift
   cannot call; these wrappers pin the 3.1 / 3.12 ABI. */
static inline struct fuse *vizor_fuse_new(int argc, char **argv,
                                          const struct fuse_operations *ops,
                                          void *private_data) {
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse *f = fuse_new(&args, ops, sizeof(*ops), private_data);
    fuse_opt_free_args(&args);
    return f;
}

static inline int vizor_fuse_loop_mt(struct fuse *f, unsigned int max_threads) {
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    if (cfg == NULL) return -ENOMEM;
    fuse_loop_cfg_set_max_threads(cfg, max_threads);
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    int rc = fuse_loop_mt(f, cfg);
    fuse_loop_cfg_destroy(cfg);
    return rc;
}

/* The private_data given to fuse_new, for the calling callback. */
static inline void *vizor_fuse_private_data(void) {
    struct fuse_context *ctx = fuse_get_context();
    return ctx ? ctx->private_data : NULL;
}

static inline int vizor_open_flags(const struct fuse_file_info *fi) { return fi ? fi->flags : 0; }
static inline void vizor_set_keep_cache(struct fuse_file_info *fi) { if (fi) fi->keep_cache = 1; }
#endif
