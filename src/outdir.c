/* outdir.c: the output's folder checked, or created with mkdirs (evclip_output_dir), one
 * implementation for the CLI's --mkdirs, specs' "mkdirs" and the Python binding. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evclip/evclip.h"
#include "src/error.h"

/* mkdir of every missing folder of dir (mkdir -p); dir is modified and restored. */
static int make_dirs(char *dir)
{
    struct stat st;
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0777) < 0 && errno != EEXIST)
            return ev_error(EVCLIP_ERR_OUTPUT, "cannot create output folder '%s': %s", dir,
                            strerror(errno));
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
            return ev_error(EVCLIP_ERR_OUTPUT, "cannot create output folder '%s': a file of "
                            "that name exists", dir);
        *p = saved;
        if (!saved)
            return 0;
    }
}

EVCLIP_API int evclip_output_dir(const char *output, int mkdirs)
{
    ev_error_clear();
    if (!output || !output[0])
        return ev_error(EVCLIP_ERR_INVALID, "evclip_output_dir: no output path");
    const char *slash = strrchr(output, '/');
    struct stat st;
    if (!slash || slash == output)
        return 0; /* the working directory or / */
    char *dir = strndup(output, (size_t)(slash - output));
    if (!dir)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int ret = 0;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        ret = 0;
    else if (mkdirs)
        ret = make_dirs(dir);
    else
        ret = ev_error(EVCLIP_ERR_OUTPUT, "output folder '%s' does not exist", dir);
    free(dir);
    return ret;
}
