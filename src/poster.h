/* poster.h: a clip's poster: the drawn frame with the most boxes, as a JPEG beside the clip. */
#ifndef EVCLIP_SRC_POSTER_H
#define EVCLIP_SRC_POSTER_H

#include <stdint.h>

#include <libavutil/frame.h>

#include "src/log.h"

/* Widest poster, pixels (narrower frames keep their size). */
#define POSTER_MAX_WIDTH 640

typedef struct Poster Poster;

/* The poster path of clip `output`: its extension replaced by ".jpg" ("a/b.mp4" ->
 * "a/b.jpg"; "a/b" -> "a/b.jpg"), malloc'ed; NULL when out of memory or when that would be
 * `output` itself (an output named ".jpg"; INVALID recorded). */
char *poster_path(const char *output);

/* Offers a drawn frame with `boxes` boxes at source time `time`: kept (as a reference) when it
 * has more boxes than the frame kept so far, or is the first. Creates *p on first use.
 * Returns 0 or NOMEM. */
int poster_offer(Poster **p, const AVFrame *drawn, int64_t boxes, double time);

/* Encodes the kept frame, scaled to at most POSTER_MAX_WIDTH wide, as JPEG into a synced temp
 * file beside poster_path(output) and hashes it. Returns 0 or OUTPUT, ENCODER, NOMEM. */
int poster_write_temp(Poster *p, const char *output, const Logger *log);

/* After poster_write_temp: its final path, temp path, SHA-256 (hex), size and frame facts. */
const char *poster_final_path(const Poster *p);
const char *poster_temp_path(const Poster *p);
const char *poster_sha256(const Poster *p);
int64_t poster_size(const Poster *p);
void poster_facts(const Poster *p, int *width, int *height, int64_t *boxes, double *time);

/* Moves the temp file to the final path: replacing (overwrite) or refusing an existing file
 * (EXISTS). Returns 0 or OUTPUT, EXISTS. */
int poster_publish(Poster *p, int overwrite);

/* Removes the published poster (a pair that could not be completed). */
void poster_unpublish(Poster *p);

/* Frees the frame; removes an unpublished temp file. Accepts NULL and &NULL. */
void poster_close(Poster **p);

#endif /* EVCLIP_SRC_POSTER_H */
