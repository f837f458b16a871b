/* publish.c: a finished clip and its evidence manifest published together (temp files, the
 * clip last), for every path that makes clips (render, batch, live). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/error.h"
#include "src/native.h"
#include "src/poster.h"
#include "src/publish.h"

/* Without a manifest: the poster and native copies, then the clip (removing them if the clip
 * fails). */
static int publish_plain(Pipeline *out, const char *path, const EvclipSettings *s,
                         Poster *poster, Natives *natives, char sha256[65])
{
    int64_t size;
    int ret = manifest_hash_file(pipeline_temp_path(out), sha256, &size);
    if (ret >= 0 && poster)
        ret = poster_publish(poster, s->overwrite);
    if (ret >= 0 && (ret = native_publish(natives)) < 0)
        poster_unpublish(poster);
    if (ret >= 0 && (ret = pipeline_publish(out)) < 0) {
        poster_unpublish(poster);
        native_unpublish(natives);
    }
    if (ret >= 0 && s->overwrite)
        unlink(path); /* a replaced clip's manifest would describe another file */
    return ret;
}

int publish_clip(Pipeline *out, const char *output, const EvclipSettings *s,
                 ManifestInfo *info, Natives *natives, char sha256[65], const Logger *log)
{
    char path[4096];
    int ret;
    Poster *poster = pipeline_poster(out);
    snprintf(path, sizeof(path), "%s.evidence.json", output);
    if (poster && (ret = poster_write_temp(poster, output, log)) < 0)
        return ret;
    if (!info)
        return publish_plain(out, path, s, poster, natives, sha256);
    info->output_file = pipeline_temp_path(out);
    info->sha256_out = sha256;
    info->poster = poster;
    info->natives = natives;
    pipeline_drawing(out, &info->thickness, &info->font_size);
    info->redaction = pipeline_redactor(out);
    if ((ret = manifest_write_temp(info, log)) < 0)
        return ret;
    if (s->overwrite) {
        if (rename(info->manifest_temp, path) != 0)
            ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot write manifest '%s': %s", path,
                           strerror(errno));
        else if ((!poster || (ret = poster_publish(poster, 1)) >= 0) &&
                 (ret = native_publish(natives)) >= 0)
            ret = pipeline_publish(out);
    } else if ((ret = pipeline_publish(out)) >= 0) {
        if (poster && (ret = poster_publish(poster, 0)) < 0) {
            unlink(output); /* ours: without overwrite no earlier clip was there */
        } else if ((ret = native_publish(natives)) < 0) {
            unlink(output);
            poster_unpublish(poster);
        } else if (rename(info->manifest_temp, path)) {
            ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot write manifest '%s': %s", path,
                           strerror(errno));
            unlink(output);
            poster_unpublish(poster);
            native_unpublish(natives);
        }
    }
    unlink(info->manifest_temp); /* gone after a rename; removed after a failure */
    free(info->manifest_temp);
    info->manifest_temp = NULL;
    if (ret >= 0)
        ev_log(log, EVCLIP_LOG_INFO, "%s: manifest written%s", path,
               s->sign_key ? " and signed" : "");
    return ret;
}
