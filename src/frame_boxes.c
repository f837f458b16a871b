/* frame_boxes.c: the boxes of one frame: looked up in a detection store, normalised boxes
 * converted to pixels (the one place where that happens, for every rendering path). */
#include "src/frame_boxes.h"

/* Converts the normalised boxes from items[first] on to pixels of a width x height frame. */
static void denormalize(DetList *list, int first, int width, int height)
{
    for (int i = first; i < list->count; i++) {
        EvclipDetection *d = &list->items[i];
        if (!(d->normalized & 1)) /* DETECTION_TEXT is no part of the value */
            continue;
        d->x1 *= width;
        d->x2 *= width;
        d->y1 *= height;
        d->y2 *= height;
        d->normalized &= DETECTION_TEXT | DETECTION_POLYGON | DETECTION_EXTRA;
    }
}

int frame_boxes_lookup(const EvclipDetections *d, int64_t index_lo, int64_t index_hi,
                       double t_lo, double t_hi, int width, int height, DetList *out)
{
    int first = out->count;
    int ret = detections_lookup(d, index_lo, index_hi, t_lo, t_hi, out);
    if (ret > 0)
        denormalize(out, first, width, height);
    return ret;
}

int frame_boxes_lookup_wall(const EvclipDetections *d, double w_lo, double w_hi, int width,
                            int height, DetList *out)
{
    int first = out->count;
    int ret = detections_lookup_wall(d, w_lo, w_hi, out);
    if (ret > 0)
        denormalize(out, first, width, height);
    return ret;
}

int frame_boxes_from_array(EvclipDetections *scratch, const EvclipDetection *dets, int nb,
                           int width, int height, DetList *out)
{
    return frame_boxes_from_texts(scratch, dets, NULL, nb, width, height, out);
}

int frame_boxes_from_texts(EvclipDetections *scratch, const EvclipDetection *dets,
                           const char *const *texts, int nb, int width, int height,
                           DetList *out)
{
    return frame_boxes_from_polygons(scratch, dets, texts, NULL, NULL, nb, width, height, out);
}

int frame_boxes_from_polygons(EvclipDetections *scratch, const EvclipDetection *dets,
                              const char *const *texts, const double *const *polys,
                              const int *nb_points, int nb, int width, int height,
                              DetList *out)
{
    EvclipDetectionStats stats;
    int ret = 0;
    evclip_detections_get_stats(scratch, &stats);
    detections_truncate(scratch, 0, stats.skipped); /* skips stay counted across frames */
    detlist_clear(out);
    for (int i = 0; i < nb && ret >= 0; i++) {
        EvclipDetection one = dets[i];
        one.frame_idx = EVCLIP_NONE;
        one.ts = 0; /* every box of the array belongs to this frame */
        const char *text = texts ? texts[i] : NULL;
        if (polys && polys[i])
            ret = detections_add_polygon(scratch, &one, NULL, text, polys[i],
                                         nb_points ? nb_points[i] : 0);
        else
            ret = detections_add_text(scratch, &one, NULL, text);
    }
    if (ret < 0 || (ret = detections_prepare(scratch)) < 0)
        return ret;
    return frame_boxes_lookup(scratch, -1, -1, 0, 1, width, height, out);
}
