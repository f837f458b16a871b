/* detections_notes.c: what a load noted beside the detections: the first skipped line, the
 * wall-clock origin a log gave, the files loaded (for the manifest) and reader warnings. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/detections.h"
#include "src/detections_store.h"
#include "src/error.h"

void detections_note_skip(EvclipDetections *d, const char *where, const char *reason)
{
    if (d->skipped++ > 0)
        return;
    if (where)
        snprintf(d->skip_note, sizeof(d->skip_note), "%s: %s", where, reason);
    else
        snprintf(d->skip_note, sizeof(d->skip_note), "%s", reason);
}

const char *detections_skip_note(const EvclipDetections *d)
{
    return d->skipped > 0 ? d->skip_note : "";
}

void detections_note_wall(EvclipDetections *d, const char *where, double wall_minus_ts)
{
    if (!d->wall_where[0] && isnan(wall_minus_ts))
        snprintf(d->wall_where, sizeof(d->wall_where), "%s", where);
    if (!d->has_wall_origin && !isnan(wall_minus_ts)) {
        d->has_wall_origin = 1;
        d->wall_minus_ts = wall_minus_ts;
    }
}

int detections_wall_origin(const EvclipDetections *d, double *wall_minus_ts)
{
    if (d->has_wall_origin)
        *wall_minus_ts = d->wall_minus_ts;
    return d->has_wall_origin;
}

const char *detections_wall_keyed(const EvclipDetections *d)
{
    return d->nb_wall_keyed ? (d->wall_where[0] ? d->wall_where : "a detection") : NULL;
}

int detections_note_file(EvclipDetections *d, const char *path)
{
    struct stat st;
    int ok = stat(path, &st) == 0;
    DetectionsFile f = {
        .size = ok ? (int64_t)st.st_size : -1,
        .mtime_ns = ok ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : -1,
        .dev = ok ? (int64_t)st.st_dev : -1, .ino = ok ? (int64_t)st.st_ino : -1,
    };
    for (int i = 0; i < d->nb_files; i++)
        if (!strcmp(d->files[i].path, path) && d->files[i].size == f.size &&
            d->files[i].mtime_ns == f.mtime_ns)
            return 0; /* loaded twice, or noted by both the reader and the public call */
    DetectionsFile *files = realloc(d->files, (size_t)(d->nb_files + 1) * sizeof(*files));
    if (files)
        d->files = files;
    if (!files || !(f.path = strdup(path)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    files[d->nb_files++] = f;
    return 0;
}

const DetectionsFile *detections_files(const EvclipDetections *d, int *count)
{
    *count = d->nb_files;
    return d->files;
}

/* ---- Reader warnings ---------------------------------------------------------------- */

void detections_warn(EvclipDetections *d, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    for (int i = 0; i < d->nb_warnings; i++)
        if (!strcmp(d->warnings[i], text))
            return;
    if (d->nb_warnings == DETECTIONS_MAX_WARNINGS)
        return;
    char *copy = strdup(text);
    if (copy) /* out of memory loses a warning, never the load */
        d->warnings[d->nb_warnings++] = copy;
}

const char *const *detections_warnings(const EvclipDetections *d, int *count)
{
    *count = d->nb_warnings;
    return (const char *const *)d->warnings;
}

void detections_warnings_truncate(EvclipDetections *d, int count)
{
    while (d->nb_warnings > count)
        free(d->warnings[--d->nb_warnings]);
}
