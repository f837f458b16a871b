/* live_native.h: live passthrough copies (a live clip's ring packets stream-copied to
 * OUT.native.mp4), beside the encoded clip or alone. */
#ifndef EVCLIP_SRC_LIVE_NATIVE_H
#define EVCLIP_SRC_LIVE_NATIVE_H

#include "src/batch.h"
#include "src/live_internal.h"

/* 1 when live clip j gets a passthrough copy (pool or stream native / native_only). Such a clip
 * is rendered once its window is complete (the copy is written, then the clip encoded and
 * published with it), not while it records. */
int live_native_wanted(const EvclipLive *l, const LiveClip *j);

/*
 * Makes live clip j (rendered as `clip` from the packet source `in`, whose in->live is its
 * manifest section) as its stream and pool ask:
 * - no passthrough (EvclipLiveSettings.native/native_only and the stream's are 0):
 *   batch_run() as before;
 * - native: the copy of j's packets (first keyframe to the window end, audio from the
 *   keyframe, timestamps from 0) is written to a temp file, then batch_run() renders the clip
 *   and publishes the copy with it (listed in its manifest's "native");
 * - native_only: only the copy, published with its own manifest NATIVE.evidence.json (same
 *   shape, output = the copy, live.native_only true); res is filled as a clip's (frames =
 *   video packets, encoder "copy") and j->output becomes the copy's path.
 * j->native_path is set to the published copy ("" otherwise). Returns batch_run()'s code (the
 * clip's outcome in res->status) or, for the copy, 0 or INPUT, OUTPUT, EXISTS, NOMEM.
 */
int live_native_run(EvclipLive *l, LiveClip *j, EvclipClip *clip, const BatchInput *in,
                    EvclipResult *res);

#endif /* EVCLIP_SRC_LIVE_NATIVE_H */
