/* publish.c: a finished clip and its evidence manifest published together (temp files, the
 * clip last), for every path that makes clips (render, batch, live). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/error.h"
#include "src/publish.h"

int publish_clip(Pipeline *out, const char *output, const EvclipSettings *s,
                 ManifestInfo *info, char sha256[65], const Logger *log)
{
    char path[4096];
    int ret;
    snprintf(path, sizeof(path), "%s.evidence.json", output);
    if (!info) {
        int64_t size;
        ret = manifest_hash_file(pipeline_temp_path(out), sha256, &size);
        if (ret >= 0)
            ret = pipeline_publish(out);
        if (ret >= 0 && s->overwrite)
            unlink(path); /* a replaced clip's manifest would describe another file */
        return ret;
    }
    info->output_file = pipeline_temp_path(out);
    info->sha256_out = sha256;
    pipeline_drawing(out, &info->thickness, &info->font_size);
    info->redaction = pipeline_redactor(out);
    if ((ret = manifest_write_temp(info, log)) < 0)
        return ret;
    if (s->overwrite) {
        if (rename(info->manifest_temp, path) != 0)
            ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot write manifest '%s': %s", path,
                           strerror(errno));
        else
            ret = pipeline_publish(out);
    } else if ((ret = pipeline_publish(out)) >= 0 && rename(info->manifest_temp, path)) {
        ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot write manifest '%s': %s", path,
                       strerror(errno));
        unlink(output); /* ours: without overwrite no earlier clip was there */
    }
    unlink(info->manifest_temp); /* gone after a rename; removed after a failure */
    free(info->manifest_temp);
    info->manifest_temp = NULL;
    if (ret >= 0)
        ev_log(log, EVCLIP_LOG_INFO, "%s: manifest written%s", path,
               s->sign_key ? " and signed" : "");
    return ret;
}
