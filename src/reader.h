/* reader.h: detection log readers (native JSONL) with file:line:field errors. */
#ifndef EVCLIP_SRC_READER_H
#define EVCLIP_SRC_READER_H

#include <stddef.h>

#include "evclip/evclip.h"

/*
 * Parses native JSONL (one detection object per line; DESIGN.md schema) from memory and adds
 * the detections to d. `name` is used in messages ("name:line: field 'bbox': ...").
 * Tolerates a UTF-8 BOM, CRLF line ends, blank lines and Python's NaN/Infinity tokens (a box
 * holding them is skipped as nonsense; a NaN score counts as absent).
 * Returns 0 or EVCLIP_ERR_DETECTIONS / NOMEM; on error d is left as before the call.
 */
int reader_parse_jsonl(EvclipDetections *d, const char *name, const char *buf, size_t len);

/* Reads the file at path and parses it as above. Missing or unreadable file:
 * EVCLIP_ERR_DETECTIONS with "path: why". */
int reader_load_jsonl(EvclipDetections *d, const char *path);

#endif /* EVCLIP_SRC_READER_H */
