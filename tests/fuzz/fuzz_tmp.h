/* fuzz_tmp.h: per-process scratch files for fuzz targets whose parser reads a path. */
#ifndef EVCLIP_TESTS_FUZZ_TMP_H
#define EVCLIP_TESTS_FUZZ_TMP_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes data to "<scratch dir>/name" with `mode` (replacing it) and returns the path (static
 * buffer per name slot 0..3), or NULL. The scratch directory is made once per process. */
static inline const char *fuzz_tmp_write(int slot, const char *name, const uint8_t *data,
                                         size_t size, mode_t mode)
{
    static char dir[256];
    static char paths[4][512];
    if (!*dir) {
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(dir, sizeof(dir), "%s/evclip-fuzz-XXXXXX", base);
        if (!mkdtemp(dir)) {
            *dir = 0;
            return NULL;
        }
    }
    snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, name);
    unlink(paths[slot]);
    int fd = open(paths[slot], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return NULL;
    fchmod(fd, mode);
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    return done == size ? paths[slot] : NULL;
}

#endif /* EVCLIP_TESTS_FUZZ_TMP_H */
