/* batch.h: the decode-once walker's internal entry point, for front ends whose sources are not
 * files (a live recording is a packet source: src/source_packets.h). */
#ifndef EVCLIP_SRC_BATCH_H
#define EVCLIP_SRC_BATCH_H

#include "src/manifest.h"
#include "src/render.h"

/* Where a batch's sources come from and what its clips' manifests add. */
typedef struct BatchInput {
    /* Opens the Source of `in` (NULL: source_open(), a file or URL). */
    int (*open)(void *opaque, Source **out, const EvclipSource *in, int threads,
                const Logger *log);
    void *opaque;
    ManifestLive *live;  /* a live clip (batch of one): its manifest section, whose first_frame,
                            last_frame and damaged_packets the run fills; else NULL. A live
                            clip calls no progress or clip_done callback (live events say) */
    double wall0;        /* with live: wall clock (epoch s) of source time 0, for the burnt-in
                            timestamp and first_frame / last_frame */
    /* NULL, or (a batch of one clip of one source that grows while it is read: a live clip
     * encoding while it records) the window end, in source seconds, as it is now: asked as
     * the walk goes, so a merged trigger extends the clip being encoded. */
    double (*window_end)(void *opaque);
    const char *preview_hls; /* with live: directory of the clip's HLS preview, or NULL */
    /* NULL, or (with live) called once the clip's frames are all encoded, before it is
     * flushed and published: completes what is published with it (its passthrough copy).
     * Returns 0 or a negative code: the clip fails with it. */
    int (*complete)(void *opaque);
} BatchInput;

/* evclip_render_batch() over sources opened by in->open (in may be NULL). Returns the number
 * of failed clips or a negative code. */
int batch_run(EvclipRenderer *r, const EvclipClip *clips, int n, EvclipResult *results,
              int jobs, const BatchInput *in);

#endif /* EVCLIP_SRC_BATCH_H */
