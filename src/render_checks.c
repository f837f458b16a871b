/* render_checks.c: what a render refuses or tidies before any work: outputs (clip, manifest,
 * poster, native copies) that would replace an input, detection logs a manifest cannot
 * certify, temp files of killed runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/mux.h"
#include "src/native.h"
#include "src/poster.h"
#include "src/render_checks.h"

static int same_file(const struct stat *a, const char *path)
{
    struct stat b;
    return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

/* An output (clip or manifest) never replaces an input, whatever `overwrite` says: the same
 * file (links resolved: stat follows them; hard links share the inode) as a source video or a
 * detection log is refused. */
static int check_not_input(const EvclipClip *clip, const EvclipSettings *s, const char *out,
                           const char *what)
{
    struct stat st;
    if (stat(out, &st) < 0)
        return 0; /* does not exist yet: cannot be an input */
    const char *redact_log = s->draw_options ? s->draw_options->redact_detections : NULL;
    if (redact_log && same_file(&st, redact_log))
        return ev_error(EVCLIP_ERR_OUTPUT, "%s '%s' is the redaction log '%s': an output "
                        "never replaces an input (even with overwrite)", what, out, redact_log);
    for (int k = 0; k < clip->nb_sources; k++) {
        const EvclipSource *src = &clip->sources[k];
        int n = 0;
        const DetectionsFile *files = src->detections ? detections_files(src->detections, &n)
                                                      : NULL;
        if (same_file(&st, src->path))
            return ev_error(EVCLIP_ERR_OUTPUT, "%s '%s' is the input video '%s': an output "
                            "never replaces an input (even with overwrite)", what, out,
                            src->path);
        for (int i = 0; i < n; i++)
            if (same_file(&st, files[i].path))
                return ev_error(EVCLIP_ERR_OUTPUT, "%s '%s' is the detection log '%s': an "
                                "output never replaces an input (even with overwrite)", what,
                                out, files[i].path);
    }
    return 0;
}

int render_check_outputs(const EvclipClip *clip, const EvclipSettings *s)
{
    char manifest[4096];
    int ret = check_not_input(clip, s, clip->output, "output");
    snprintf(manifest, sizeof(manifest), "%s.evidence.json", clip->output);
    if (ret >= 0)
        ret = check_not_input(clip, s, manifest, "manifest");
    if (ret >= 0 && s->poster) {
        char *poster = poster_path(clip->output);
        ret = poster ? check_not_input(clip, s, poster, "poster") : EVCLIP_ERR_INVALID;
        free(poster);
    }
    static const char *const exts[] = { "mp4", "mkv" };
    for (int k = 0; ret >= 0 && s->native && k < clip->nb_sources * 2; k++) {
        char *native = native_path(clip->output, k / 2, clip->nb_sources, exts[k % 2]);
        ret = native ? check_not_input(clip, s, native, "native copy") : EVCLIP_ERR_NOMEM;
        if (ret >= 0) /* refused before rendering: an existing copy (either container) */
            ret = mux_check_as(native, s->overwrite, "matroska");
        free(native);
    }
    return ret;
}

/* With a manifest, every detection log must be a regular file (its bytes are hashed into the
 * manifest): a pipe is refused before any work instead of failing after the render. */
int render_check_logs_certifiable(const EvclipClip *clip)
{
    for (int i = 0; i < clip->nb_sources; i++) {
        int n = 0;
        const DetectionsFile *f = clip->sources[i].detections
                                      ? detections_files(clip->sources[i].detections, &n) : NULL;
        for (int k = 0; k < n; k++) {
            struct stat st;
            if (stat(f[k].path, &st) != 0 || S_ISREG(st.st_mode))
                continue; /* gone or changed: the log change check reports it */
            return ev_error(EVCLIP_ERR_INPUT, "detection log '%s' is not a regular file: the "
                            "manifest cannot certify its bytes (save the log to a file, or "
                            "render with --no-manifest)", f[k].path);
        }
    }
    return 0;
}

/* Removes temp files that killed runs left beside the output (see mux_clean_stale). */
void render_clean_stale(const char *output, const Logger *log)
{
    const char *slash = strrchr(output, '/');
    char dir[4096];
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - output + (slash == output)) : 1,
             slash ? output : ".");
    mux_clean_stale(dir, log);
}
