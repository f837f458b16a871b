/* live_native.h: live passthrough copies (a live clip's ring packets stream-copied to
 * OUT.native.mp4), beside the encoded clip or alone. */
#ifndef EVCLIP_SRC_LIVE_NATIVE_H
#define EVCLIP_SRC_LIVE_NATIVE_H

#include "src/batch.h"
#include "src/live_internal.h"

/* 1 when live clip j gets a passthrough copy (pool or stream native / native_only). */
int live_native_wanted(const EvclipLive *l, const LiveClip *j);
/* The file a clip of st recorded into `output` is published as when only its passthrough
 * copy is recorded (--native-only): OUT.native.mp4, or .mkv when MP4 cannot carry the codecs
 * (vpar, apar: the clip's). NULL when the clip is encoded (published as `output`), or out of
 * memory. malloc'ed. */
char *live_copy_only_path(const EvclipLive *l, const Stream *st, const AVCodecParameters *vpar,
                          const AVCodecParameters *apar, const char *output);

/*
 * Makes live clip j (rendered as `clip` from the packet source `in`, whose in->live is its
 * manifest section) as its stream and pool ask:
 * - no passthrough (EvclipLiveSettings.native/native_only and the stream's are 0):
 *   batch_run() as before;
 * - native: the copy's temp file is opened (an existing copy fails the clip before any work),
 *   then batch_run() renders the clip while it records; each packet its feed hands to the
 *   engine goes to the copy too (live_native_feed: first keyframe to the window end, audio
 *   from the keyframe, timestamps from 0). The copy is finished when the feed ends, before
 *   the clip is published with it (listed in its manifest's "native");
 * - native_only: only the copy, written the same way as the feed hands the packets out (no
 *   decoder, no encoder; frames wait for no detections), published at the feed's end with
 *   its own manifest NATIVE.evidence.json (same shape, output = the copy, live.native_only
 *   true); res is filled as a clip's (frames = video packets, encoder "copy") and j->output
 *   becomes the copy's path.
 * A merge that restarts the encode restarts the copy (this call returns, the next writes a new
 * one). j->native_path is set to the published copy ("" otherwise). Returns batch_run()'s code
 * (the clip's outcome in res->status) or, for the copy, 0 or INPUT, OUTPUT, EXISTS, NOMEM,
 * CANCELED.
 */
int live_native_run(EvclipLive *l, LiveClip *j, EvclipClip *clip, const BatchInput *in,
                    EvclipResult *res);

/* Called by j's feed (its PacketFeed.pull, without st->lock) when j->copy is set: e, the
 * packet it hands out (the next in order), goes to the copy; `end` is j's window end as it is
 * now. e NULL: the feed ended; the copy is finished. Returns 0 or the copy's failure, which
 * sticks (the feed should end: the clip fails with it before it is published). */
int live_native_feed(LiveClip *j, const RingEntry *e, double end);

#endif /* EVCLIP_SRC_LIVE_NATIVE_H */
