/* publish.h: a finished clip (complete in its pipeline's temp file) published together with
 * its evidence manifest: render, batch and live clips all go through here. */
#ifndef EVCLIP_SRC_PUBLISH_H
#define EVCLIP_SRC_PUBLISH_H

#include "src/manifest.h"
#include "src/pipeline.h"

/*
 * Publishes the clip of `out` at `output` (pipeline_defer_publish() was called and
 * pipeline_finish() succeeded). With `info` (a manifest is due; info->output_file is set here
 * to the clip's temp file) the manifest is completed first in its own temp file, hashing the
 * clip's temp file; nothing is published before both are complete, so a failure until then
 * leaves a previous pair intact. With settings->overwrite the manifest is renamed first and
 * the clip last; without, the clip is linked first (refused if one appeared meanwhile) and
 * removed again if the manifest cannot follow. Without `info` only the clip is published
 * (and, with overwrite, a stale manifest beside it removed). `natives` (NULL: none; complete
 * in their temp files) are published with the clip and removed when it fails, like the
 * poster. `sha256` (65 bytes) receives
 * the output's SHA-256. Returns 0 or a negative code (OUTPUT, EXISTS, INVALID, NOMEM...).
 */
int publish_clip(Pipeline *out, const char *output, const EvclipSettings *settings,
                 ManifestInfo *info, struct Natives *natives, char sha256[65],
                 const Logger *log);

#endif /* EVCLIP_SRC_PUBLISH_H */
