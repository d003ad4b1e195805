#ifndef VIZOR_CCHILDPROCESS_H
#define VIZOR_CCHILDPROCESS_H

/// pipe(2) with both ends close-on-exec from the start (pipe2 with O_CLOEXEC
/// where there is one), so a child spawned by another thread meanwhile
/// cannot inherit either end. Glibc's Swift module leaves pipe2 out.
int vizor_pipe_cloexec(int fds[2]);

#endif
