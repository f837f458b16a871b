/* manifest.h: evidence manifests: hashes of sources, logs and output, signed with Ed25519. */
#ifndef EVCLIP_SRC_MANIFEST_H
#define EVCLIP_SRC_MANIFEST_H

#include "evclip/evclip.h"
#include "src/log.h"

/* What a finished clip's manifest records. */
typedef struct ManifestInfo {
    const EvclipClip *clip;          /* sources (paths, windows, detection stores), rolls,
                                        speed, cap, output path */
    const EvclipSettings *settings;  /* encoder, preset, crf, bitrate, sign_key... */
    const EvclipResult *result;      /* frames, duration, boxes drawn, encoder used, size */
    double speed;                    /* effective playback speed */
    int frame_step;                  /* 1, or N when framedrop kept every Nth frame */
} ManifestInfo;

/* Writes "<output>.evidence.json" atomically (temp + rename) after the clip was published,
 * signing it when settings->sign_key is set. Returns 0 or a negative code (OUTPUT, INVALID
 * for a bad key file, NOMEM). The caller removes nothing: a failed manifest fails the clip,
 * and the caller then deletes the clip too. */
int manifest_write(const ManifestInfo *info, const Logger *log);

#endif /* EVCLIP_SRC_MANIFEST_H */
