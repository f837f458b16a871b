/* reader.h: detection log readers (native and grouped JSONL, Ultralytics rows, MOTChallenge)
 * with format detection and file:line:field errors. */
#ifndef EVCLIP_SRC_READER_H
#define EVCLIP_SRC_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evclip/evclip.h"

/* Detection log formats (README "Detection log formats"). */
enum ReaderFormat {
    READER_AUTO = 0,     /* guessed from the first non-blank line */
    READER_NATIVE,       /* one detection object per line (DESIGN.md schema) */
    READER_GROUPED,      /* {"frame_idx", "ts", "detections": [native or Ultralytics items]} */
    READER_ULTRALYTICS,  /* summary()/to_json() rows: one row object, or an array of rows */
    READER_MOT,          /* MOTChallenge txt: frame,id,left,top,width,height,conf,... */
    READER_INSPECT,      /* `evclip inspect` lines: boxes keyed by source_time */
};

/*
 * Parses a detection log from memory and adds the detections to d. `name` is used in messages
 * ("name:line: field 'bbox': ..."; items of an array line add "detections[i]: ").
 * READER_AUTO picks the format from the first non-blank line (reader_detect_line(): a JSON
 * array, or an object with an object "box": Ultralytics; an object with "detections": grouped,
 * or inspect with "source_time" too; with "bbox": native; a line starting with a digit: MOT;
 * anything else is an error naming each format and why it does not fit). `normalized` (0/1)
 * is the default of every detection's normalized flag; JSON lines and items may override it
 * with "normalized": true/false.
 * Tolerates a UTF-8 BOM, CRLF line ends, blank lines and Python's NaN/Infinity tokens (a box
 * holding them is skipped as nonsense; a NaN score counts as absent).
 * Returns 0 or EVCLIP_ERR_DETECTIONS / NOMEM; on error d is left as before the call.
 */
int reader_parse(EvclipDetections *d, const char *name, const char *buf, size_t len,
                 int format, int normalized);

/* reader_parse() with flags: READER_NO_FAST reads every JSON line with jansson and every MOT
 * field with strtod() (the references the fast paths are checked against). */
#define READER_NO_FAST 1
int reader_parse_flags(EvclipDetections *d, const char *name, const char *buf, size_t len,
                       int format, int normalized, int flags);

/* reader_parse(d, name, buf, len, READER_AUTO, 0). */
int reader_parse_jsonl(EvclipDetections *d, const char *name, const char *buf, size_t len);

/* Reads the file at path and parses it as reader_parse(). Missing or unreadable file:
 * EVCLIP_ERR_DETECTIONS with "path: why". */
int reader_load(EvclipDetections *d, const char *path, int format, int normalized);

/* Reads the whole stream (files, pipes) into a malloc'ed *out of *len bytes. Returns 0,
 * DETECTIONS ("path: why") or NOMEM. */
int reader_read_all(FILE *f, const char *path, char **out, size_t *len);

/* A block of whole lines that reader_load_blocks() has just parsed. */
typedef struct ReaderBlock {
    int64_t offset;          /* byte offset of data[0] in the file */
    const char *data;        /* the block's bytes (valid during the callback) */
    size_t bytes;
    size_t first_line;       /* lines before the block (its first line is first_line + 1) */
    int64_t first_ordinal;   /* non-blank lines before the block */
    size_t first_det;        /* detections_count() before the block */
    int format;              /* enum ReaderFormat in force (AUTO: no non-blank line yet) */
} ReaderBlock;
typedef void (*ReaderBlockFn)(void *ctx, const ReaderBlock *block);

/* reader_load() calling on_block (when not NULL) after each block of lines (the read chunk,
 * 256 KB or one longer line). Blocks tile the file. */
int reader_load_blocks(EvclipDetections *d, const char *path, int format, int normalized,
                       ReaderBlockFn on_block, void *ctx);

/* Parses lines cut from a log as reader_parse() would inside the whole file: numbering goes on
 * from first_line / first_ordinal; `avail` readable bytes from buf (>= len). Format is not
 * AUTO. Errors and rollback as reader_parse(). */
int reader_parse_block(EvclipDetections *d, const char *name, const char *buf, size_t len,
                       size_t avail, int format, int normalized, size_t first_line,
                       int64_t first_ordinal);

/* Streams the log at path through store d block by block, as evclip_detections_scan() (d
 * keeps no detection, only what the readers note in it: the wall-clock origin of the first
 * line with both ts and wallclock, detections_wall_origin()); keyed (size bytes) gets
 * "file:line" of the first line keyed by wallclock alone, "" when none. Errors as
 * reader_load(). */
int reader_scan_wall(EvclipDetections *d, const char *path, int format, char *keyed,
                     size_t size);

/* reader_load(d, path, READER_AUTO, 0): what evclip_detections_load() does. */
int reader_load_jsonl(EvclipDetections *d, const char *path);

/* enum ReaderFormat of "auto" (or NULL), "jsonl" (alias "native"), "grouped", "ultralytics",
 * "inspect", "mot" (reader_detect.c); EVCLIP_ERR_INVALID with a message for any other name. */
int reader_format_from_name(const char *name);

#endif /* EVCLIP_SRC_READER_H */
