/* wallclock.h: real-world time of sources: ISO 8601 / epoch-second parsing, a source's
 * wall-clock origin (given, from the log, from creation_time), timestamps in a zone. */
#ifndef EVCLIP_SRC_WALLCLOCK_H
#define EVCLIP_SRC_WALLCLOCK_H

#include <stddef.h>

#include "evclip/evclip.h"
#include "src/log.h"
#include "src/tz.h"

/* Wall-clock times evclip accepts: 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z. */
#define WALLCLOCK_MAX 253402300799.999

/* Room for a drawn timestamp ("2026-03-02 14:03:22.140 CEST +02:00"). */
#define WALLCLOCK_TEXT 64

/* Parses `text` as epoch seconds ("1772460202.14") or ISO 8601 with a zone designator
 * ("2026-03-02T14:03:22.140Z", "...+01:00", "...+0100"; 'T' or one space between date and
 * time; seconds and fraction optional). `what` names the value in errors. Returns 0 or
 * INVALID ("what 'text': why"). */
int wallclock_parse(const char *text, double *epoch, const char *what);

/* INVALID ("what: epoch X is outside ...") unless epoch is finite and within the range. */
int wallclock_check(double epoch, const char *what);

/* "2026-03-02 14:03:22.140 ZONE" for epoch seconds in zone tz: ZONE is "UTC", the offset of
 * a fixed zone ("+05:30"), or an IANA zone's abbreviation and offset ("CEST +02:00"). */
void wallclock_format(const Tz *tz, double epoch, char *buf, size_t size);

/* "2026-03-02T14:03:22.140Z" (UTC, milliseconds), for manifests and logs. */
void wallclock_iso_utc(double epoch, char *buf, size_t size);

/* Name of an EvclipEpochOrigin as recorded in manifests ("option", "log", "creation_time"). */
const char *wallclock_origin_name(int origin);

/* A source's resolved wall-clock origin: the wall time of its source time 0. */
typedef struct WallOrigin {
    int known;
    double epoch;
    int origin;          /* enum EvclipEpochOrigin when known */
} WallOrigin;

/* wallclock_source.c (media library). Resolves the origin of source `in`, opened as `fmt`
 * (video stream `video`), in order: the caller's (in->epoch_known 1), the log's (wallclock -
 * ts of its lines with both, shifted by ts_shift: key = source time + ts_shift), the
 * container's creation_time (format, then video stream metadata); in->epoch_known -1 looks
 * for none. Returns 0 or INVALID (a given epoch out of range; a creation_time that does not
 * parse is logged and ignored). */
struct AVFormatContext;
struct AVStream;
int wallclock_resolve(const EvclipSource *in, const EvclipDetections *dets,
                      const struct AVFormatContext *fmt, const struct AVStream *video,
                      double ts_shift, WallOrigin *out, const Logger *log);

/* DETECTIONS: "keyed: field 'wallclock': boxes keyed by wall-clock time need the wall-clock
 * origin of input 'path', which is unknown (give ...)", keyed the "file:line" of the first
 * line keyed by wallclock. */
int wallclock_unknown(const char *keyed, const char *path);

/* wallclock_resolve() for a clip's segment source, then: DETECTIONS (naming the first line)
 * when its log has wallclock-keyed boxes but the origin is unknown; logs the origin found and,
 * when timestamps are drawn (stamp_tz non-NULL), whether they are wall-clock or source time. */
int wallclock_segment(const EvclipSource *in, const EvclipDetections *dets,
                      const struct AVFormatContext *fmt, const struct AVStream *video,
                      double ts_shift, const Tz *stamp_tz, WallOrigin *out, const Logger *log,
                      const char *output);

#endif /* EVCLIP_SRC_WALLCLOCK_H */
