/* redact_log.c: a clip's separate redaction detection log (--redact-detections): loaded and
 * hashed once, its boxes held like drawn boxes, looked up per frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/manifest.h"
#include "src/redact_log.h"

int redact_log_open(RedactLog *l, const char *path)
{
    char after[65];
    int64_t size_after;
    memset(l, 0, sizeof(*l));
    int ret = manifest_hash_file(path, l->sha256, &l->size);
    if (ret < 0)
        goto fail;
    if ((ret = evclip_detections_new(&l->store)) < 0 ||
        (ret = evclip_detections_load_format(l->store, path, NULL, 0)) < 0 ||
        (ret = manifest_hash_file(path, after, &size_after)) < 0)
        goto fail;
    if (strcmp(after, l->sha256) || size_after != l->size) {
        ret = ev_error(EVCLIP_ERR_DETECTIONS, "redaction log '%s' changed while it was read",
                       path);
        goto fail;
    }
    if (!(l->path = strdup(path))) {
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    hold_init(&l->hold, 0);
    return 0;
fail:
    if (ret == EVCLIP_ERR_DETECTIONS || ret == EVCLIP_ERR_INPUT) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", ev_error_message());
        ev_error(ret, "redaction log: %s", msg);
    }
    redact_log_close(l);
    return ret;
}

int redact_log_begin(RedactLog *l, double hold)
{
    if (!l->store)
        return 0;
    hold_free(&l->hold);
    hold_init(&l->hold, hold);
    int ret = detections_prepare(l->store);
    if (ret >= 0)
        l->use_index = detections_uses_frame_index(l->store);
    return ret;
}

void redact_log_close(RedactLog *l)
{
    evclip_detections_free(&l->store);
    free(l->path);
    l->path = NULL;
    detlist_free(&l->matched);
    detlist_free(&l->visible);
    hold_free(&l->hold);
}
