/* reader_detect.h: a detection log's format from its first line, and why no format fits when
 * none does (each format tried, each reason). */
#ifndef EVCLIP_SRC_READER_DETECT_H
#define EVCLIP_SRC_READER_DETECT_H

#include <stddef.h>

#include <jansson.h>

/*
 * Format (enum ReaderFormat, never READER_AUTO) of a log whose first non-blank line is
 * text[0..len), line `number` of `name`; `v` is that line parsed as JSON (NaN tokens already
 * replaced), or NULL when it is not JSON. A line whose shape names one format gets it (its
 * reader then reports field errors): a digit first: MOT; '{' or '[' that is not JSON: native
 * (which reports the JSON error); an array: Ultralytics; an object with "detections": grouped,
 * or inspect when it also has "source_time"; with "bbox": native; with an object "box":
 * Ultralytics. Anything else returns EVCLIP_ERR_DETECTIONS with
 * "name:N: not a detection log line: native: ...; grouped: ...; ultralytics: ...; inspect:
 * ...; mot: ..." (a did-you-mean for a misspelt key).
 */
int reader_detect_line(const char *name, size_t number, const char *text, size_t len,
                       const json_t *v);

/* Edit distance of two short keys, capped at 3 (only "close" matters). */
int reader_key_distance(const char *a, const char *b);

/* Name of the video container whose magic bytes start buf ("MP4/MOV", "Matroska/WebM", "AVI",
 * "MPEG-TS"), or NULL: a video given as a detection log is named as such. */
const char *reader_container_magic(const char *buf, size_t len);

#endif /* EVCLIP_SRC_READER_DETECT_H */
