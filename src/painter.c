/* painter.c: evclip_painter_*: the clip overlay drawn in place into the caller's frames. */
#include <stdlib.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/frame_boxes.h"
#include "src/overlay.h"
#include "src/settings.h"

struct EvclipPainter {
    int width, height, format;
    Overlay *overlay;
    EvclipDetections *scratch; /* validates the boxes (frame_boxes_from_array) */
    DetList dets;              /* this frame's boxes, in pixels */
};

static const BoxTransform identity = { 1.0, 1.0, 0.0, 0.0 };

static enum DrawMatrix painter_matrix(int format, int height)
{
    if (format == EVCLIP_PIXFMT_BGR24)
        return DRAW_PACKED_BGR;
    if (format == EVCLIP_PIXFMT_RGB24)
        return DRAW_PACKED_RGB;
    return height >= 720 ? DRAW_BT709 : DRAW_BT601;
}

/* The sizes' ranges are the renderer settings' (one owner: settings_validate). */
static int check_args(int width, int height, int format, int thickness, int font_size)
{
    EvclipSettings s;
    if (width < 1 || width > 16384 || height < 1 || height > 16384)
        return ev_error(EVCLIP_ERR_INVALID, "painter: frame size %dx%d is outside 1..16384",
                        width, height);
    if (format != EVCLIP_PIXFMT_BGR24 && format != EVCLIP_PIXFMT_RGB24 &&
        format != EVCLIP_PIXFMT_YUV420P)
        return ev_error(EVCLIP_ERR_INVALID, "painter: unknown pixel format %d", format);
    evclip_default_settings(&s);
    s.thickness = thickness;
    s.font_size = font_size;
    return settings_validate(&s);
}

int evclip_painter_new(EvclipPainter **out, int width, int height, int format,
                       const char *font, int thickness, int font_size)
{
    EvclipPainter *p;
    int ret;
    ev_error_clear();
    if (!out)
        return ev_error(EVCLIP_ERR_INVALID, "painter: NULL out");
    *out = NULL;
    if ((ret = check_args(width, height, format, thickness, font_size)) < 0)
        return ret;
    if (!(p = calloc(1, sizeof(*p))))
        return ev_error(EVCLIP_ERR_NOMEM, "painter: out of memory");
    *p = (EvclipPainter){ .width = width, .height = height, .format = format };
    OverlayParams op = {
        .width = width, .height = height, .matrix = painter_matrix(format, height),
        .font = font, .thickness = thickness, .font_size = font_size,
    };
    if ((ret = overlay_open(&p->overlay, &op)) < 0 ||
        (ret = evclip_detections_new(&p->scratch)) < 0) {
        evclip_painter_free(&p);
        return ret;
    }
    *out = p;
    return 0;
}

/* The frame as a DrawImage; INVALID when a plane or its row size is missing or too small. */
static int frame_image(const EvclipPainter *p, uint8_t *const data[3], const int linesize[3],
                       DrawImage *img)
{
    int planes = p->format == EVCLIP_PIXFMT_YUV420P ? 3 : 1;
    *img = (DrawImage){ .width = p->width, .height = p->height, .packed = planes == 1 };
    if (!data || !linesize)
        return ev_error(EVCLIP_ERR_INVALID, "painter: NULL data or linesize");
    for (int i = 0; i < planes; i++) {
        int row = planes == 1 ? 3 * p->width : i ? (p->width + 1) / 2 : p->width;
        if (!data[i] || linesize[i] < row)
            return ev_error(EVCLIP_ERR_INVALID, "painter: plane %d is %s (linesize %d, a row "
                            "is %d bytes)", i, data[i] ? "too narrow" : "NULL", linesize[i],
                            row);
        img->plane[i] = data[i];
        img->stride[i] = linesize[i];
    }
    return 0;
}

int evclip_painter_draw(EvclipPainter *p, uint8_t *const data[3], const int linesize[3],
                        const EvclipDetection *dets, const char *const *texts, int nb_dets)
{
    return evclip_painter_draw_polygons(p, data, linesize, dets, texts, NULL, NULL, nb_dets);
}

int evclip_painter_draw_polygons(EvclipPainter *p, uint8_t *const data[3],
                                 const int linesize[3], const EvclipDetection *dets,
                                 const char *const *texts, const double *const *polygons,
                                 const int *nb_points, int nb_dets)
{
    DrawImage img;
    int ret;
    ev_error_clear();
    if (!p)
        return ev_error(EVCLIP_ERR_INVALID, "painter: NULL painter");
    if (nb_dets < 0 || (!dets && nb_dets > 0))
        return ev_error(EVCLIP_ERR_INVALID, "painter: %d detections at %p", nb_dets,
                        (const void *)dets);
    if ((ret = frame_image(p, data, linesize, &img)) < 0)
        return ret;
    ret = frame_boxes_from_polygons(p->scratch, dets, texts, polygons, nb_points, nb_dets,
                                    p->width, p->height, &p->dets);
    if (ret < 0)
        return ret;
    return overlay_draw_detections(p->overlay, &img, p->dets.items, p->dets.count, &identity);
}

void evclip_painter_free(EvclipPainter **pp)
{
    if (!pp || !*pp)
        return;
    EvclipPainter *p = *pp;
    overlay_close(&p->overlay);
    evclip_detections_free(&p->scratch);
    detlist_free(&p->dets);
    free(p);
    *pp = NULL;
}

int evclip_painter_label(const EvclipDetection *d, char *buf, size_t size)
{
    ev_error_clear();
    if (!d)
        return ev_error(EVCLIP_ERR_INVALID, "painter: NULL detection");
    EvclipDetection e = *d;
    e.normalized = 0; /* no internal flag from the caller (DETECTION_TEXT) */
    return overlay_format_label(&e, buf, size);
}
