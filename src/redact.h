/* redact.h: redaction of detected regions (pixelate, blur, fill) in YUV frames, with the
 * record of what was hidden that the evidence manifest carries. */
#ifndef EVCLIP_SRC_REDACT_H
#define EVCLIP_SRC_REDACT_H

#include <stdint.h>

#include <jansson.h>

#include "evclip/evclip.h"
#include "src/draw.h"
#include "src/overlay.h"

/* Checks a caller's EvclipDrawOptions (NULL is valid: no options): struct_size, reserved
 * bytes, selectors ("all", "label=NAME", "track=N"), mode, pad and interpolate. Returns 0 or
 * INVALID with a message naming the field (and the selector's position and text). */
int redact_validate(const EvclipDrawOptions *o);

/* A deep copy of validated options (strings and the selector array), or NULL. Returns 0
 * (*out NULL when o is NULL) or NOMEM. Free with redact_options_free. */
int redact_options_copy(EvclipDrawOptions **out, const EvclipDrawOptions *o);
void redact_options_free(EvclipDrawOptions **o);

/* 1 when o (may be NULL) redacts anything (a selector or a redaction log). */
int redact_enabled(const EvclipDrawOptions *o);

/* Hides the pixels of [x1, x2) x [y1, y2) (clipped to the image) with `mode` (enum
 * EvclipRedactMode); chroma samples covering any luma pixel of the region are changed too. */
void redact_region(DrawImage *img, int mode, int x1, int y1, int x2, int y2);

/* Per-clip redaction state: the options, counts and frame ranges. Not thread-safe: one per
 * pipeline, called in frame order. */
typedef struct Redactor Redactor;

/* Opens a redactor for options o (validated; borrowed for the redactor's life). Returns 0
 * (*out NULL when o redacts nothing) or NOMEM. */
int redactor_open(Redactor **out, const EvclipDrawOptions *o);
void redactor_close(Redactor **r);

/* 1 when detection d matches one of the selectors. */
int redactor_selects(const Redactor *r, const EvclipDetection *d);

/* Redacts on output frame `frame` (0-based) the boxes of dets[0..n) (boxes in source space,
 * mapped by t and the overlay's rounding) that the selectors select, and every box of
 * dets[n - forced..n) (redaction-log boxes). Sets EVCLIP_BOX_REDACTED in marks[i] for each
 * redacted box (other bits are left as they are). Returns the number of regions redacted. */
int redactor_frame(Redactor *r, const Overlay *o, DrawImage *img, const EvclipDetection *dets,
                   int n, int forced, const BoxTransform *t, int64_t frame, uint8_t *marks);

/* The next selector, from index *i on, that has selected no box so far (NULL: none left);
 * *i moves past it. A selector that hid nothing is worth a warning: a mistyped label must not
 * pass for a redacted clip. */
const char *redactor_unused(const Redactor *r, int *i);

/* 1 when a redaction log was given and none of its boxes met a drawn frame. */
int redactor_log_unused(const Redactor *r);

/* Records the redaction log's path and SHA-256 (lowercase hex) for the manifest. */
void redactor_set_log(Redactor *r, const char *path, const char *sha256, int64_t size);

/* The manifest's "redaction" member: {selectors [..], mode, pad, label, regions, frames,
 * ranges [{first_frame, last_frame, regions}], ranges_truncated, log {path, size, sha256} or
 * null, rule}. NULL on NOMEM. */
json_t *redactor_json(const Redactor *r);

#endif /* EVCLIP_SRC_REDACT_H */
