/* frame_boxes.h: the boxes of one frame, as every path draws them (render, batch, writer,
 * live): validated by the detection store, looked up by frame, normalised boxes in pixels. */
#ifndef EVCLIP_SRC_FRAME_BOXES_H
#define EVCLIP_SRC_FRAME_BOXES_H

#include "src/detections.h"

/*
 * Appends to `out` the detections of store `d` keyed to one frame (frame_idx in [index_lo,
 * index_hi), or ts in [t_lo, t_hi), as detections_lookup()), with every normalised box
 * (EvclipDetection.normalized: fractions of the frame) converted to pixels of a
 * width x height frame and marked as pixels. The store validated each box when it was added
 * (nonsense boxes were skipped and counted there). `d` must be prepared
 * (detections_prepare()). Returns the number appended or a negative code (NOMEM, INTERNAL).
 */
int frame_boxes_lookup(const EvclipDetections *d, int64_t index_lo, int64_t index_hi,
                       double t_lo, double t_hi, int width, int height, DetList *out);
/* As frame_boxes_lookup() for the detections keyed by wallclock in [w_lo, w_hi) (epoch
 * seconds: the frame's span plus its source's origin). */
int frame_boxes_lookup_wall(const EvclipDetections *d, double w_lo, double w_hi, int width,
                            int height, DetList *out);

/*
 * The caller's boxes of one frame (evclip_writer_push): cleared from `scratch` (a store kept
 * by the caller between frames), added to it one by one (so validated exactly as log lines
 * and API detections are: a NULL label is INVALID, nonsense boxes are skipped and counted in
 * the store's stats), then looked up as above into `out` (cleared first). Their frame_idx
 * and ts are ignored. Returns the number of boxes in `out` or a negative code.
 */
int frame_boxes_from_array(EvclipDetections *scratch, const EvclipDetection *dets, int nb,
                           int width, int height, DetList *out);

/* frame_boxes_from_array() with texts[i] (texts NULL, or texts[i] NULL: the default) as the
 * chip text of dets[i] (evclip_detections_add_text). */
int frame_boxes_from_texts(EvclipDetections *scratch, const EvclipDetection *dets,
                           const char *const *texts, int nb, int width, int height,
                           DetList *out);

/* frame_boxes_from_texts() with polys[i] (polys NULL, or polys[i] NULL: none), nb_points[i]
 * points, as the polygon of dets[i] (evclip_detections_add_polygon). */
int frame_boxes_from_polygons(EvclipDetections *scratch, const EvclipDetection *dets,
                              const char *const *texts, const double *const *polys,
                              const int *nb_points, int nb, int width, int height,
                              DetList *out);

#endif /* EVCLIP_SRC_FRAME_BOXES_H */
