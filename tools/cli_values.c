/* cli_values.c: values the command line and JSON specs share: times ("1:02.5"), paths relative
 * to a jobs or spec file, and output folders (checked, or created with mkdirs). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/cli.h"
#include "tools/cli_spec.h"

int cli_parse_time(const char *s, double *out)
{
    double parts[3];
    int n = 0;
    const char *p = s;
    /* Decimal only: strtod would also take " 12", "0x1p4", "1e3" and "infinity". */
    if (!s || !*s || s[strspn(s, "0123456789.:")])
        return -1;
    while (n < 3) {
        char *end;
        errno = 0;
        parts[n] = strtod(p, &end);
        if (end == p || errno || !isfinite(parts[n]) || parts[n] < 0)
            return -1;
        n++;
        if (*end == '\0')
            break;
        if (*end != ':' || n == 3)
            return -1;
        p = end + 1;
    }
    double t = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && parts[i] >= 60)
            return -1;
        t = t * 60 + parts[i];
    }
    *out = t;
    return 0;
}

char *spec_base_dir(const char *file)
{
    const char *slash = file ? strrchr(file, '/') : NULL;
    if (!slash)
        return NULL; /* the file is in the working directory: paths stay as they are */
    size_t n = slash == file ? 1 : (size_t)(slash - file);
    char *dir = malloc(n + 1);
    if (dir) {
        memcpy(dir, file, n);
        dir[n] = '\0';
    }
    return dir;
}

char *spec_resolve(const char *base_dir, const char *path)
{
    if (!base_dir || !path[0] || path[0] == '/' || strstr(path, "://"))
        return strdup(path);
    size_t n = strlen(base_dir), m = strlen(path);
    char *out = malloc(n + m + 2);
    if (out)
        snprintf(out, n + m + 2, "%s%s%s", base_dir, base_dir[n - 1] == '/' ? "" : "/", path);
    return out;
}

/* mkdir of every missing folder of dir (mkdir -p). */
static int make_dirs(char *dir, char *err, size_t errlen)
{
    struct stat st;
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create output folder '%s': %s", dir, strerror(errno));
            return -1;
        }
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "cannot create output folder '%s': a file of that name exists",
                     dir);
            return -1;
        }
        *p = saved;
        if (!saved)
            return 0;
    }
}

int cli_output_dir(const char *output, int mkdirs, char *err, size_t errlen)
{
    const char *slash = strrchr(output, '/');
    struct stat st;
    if (!slash || slash == output)
        return 0; /* the working directory or / */
    char *dir = strndup(output, (size_t)(slash - output));
    if (!dir) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int ret = 0;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        ret = 0;
    else if (mkdirs)
        ret = make_dirs(dir, err, errlen);
    else {
        snprintf(err, errlen, "output folder '%s' does not exist (--mkdirs, or \"mkdirs\": "
                 "true in a spec, creates it)", dir);
        ret = -1;
    }
    free(dir);
    return ret;
}
