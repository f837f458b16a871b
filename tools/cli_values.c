/* cli_values.c: values the command line and JSON specs share: times ("1:02.5"), paths relative
 * to a jobs or spec file, and output folders (checked, or created with mkdirs). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cli_output_dir(const char *output, int mkdirs, char *err, size_t errlen)
{
    if (!output || !output[0])
        return 0; /* no output: the render's own checks report it */
    int ret = evclip_output_dir(output, mkdirs);
    if (ret >= 0)
        return 0;
    /* The library owns the check; the CLI adds how to ask for the folders. */
    snprintf(err, errlen, "%s%s", evclip_last_error(), ret == EVCLIP_ERR_OUTPUT && !mkdirs ?
             " (--mkdirs, or \"mkdirs\": true in a spec, creates it)" : "");
    return -1;
}
