/* style.h: custom box styles (EvclipDrawOptions.style): per label / track colour, thickness,
 * chip on/off, chip template and position, corners-only boxes, fill, legend. */
#ifndef EVCLIP_SRC_STYLE_H
#define EVCLIP_SRC_STYLE_H

#include <stddef.h>
#include <stdint.h>

#include "evclip/evclip.h"

enum StylePosition { STYLE_ABOVE = 0, STYLE_INSIDE = 1, STYLE_BELOW = 2 };
enum StyleLegend {
    STYLE_LEGEND_NONE = 0, STYLE_LEGEND_TOP_LEFT, STYLE_LEGEND_TOP_RIGHT,
    STYLE_LEGEND_BOTTOM_LEFT, STYLE_LEGEND_BOTTOM_RIGHT,
};

/* The style of one box, all fields resolved (track rule > label rule > "default" > built-in). */
typedef struct BoxStyle {
    int has_color;         /* 1: rgb overrides the detection's colour */
    uint8_t rgb[3];
    int thickness;         /* line width in pixels; 0 = the overlay's */
    int chip;              /* 1: draw the label chip */
    const char *template;  /* chip text template, or NULL for "label #track score" */
    int position;          /* enum StylePosition */
    int corners;           /* 1: draw only the four corners */
    int fill_alpha;        /* 0..255: box interior blended towards its colour */
} BoxStyle;

typedef struct Style Style;

/*
 * Parses a style (JSON text):
 *   {"default": RULE, "labels": {"NAME": RULE, ...}, "tracks": {"N": RULE, ...},
 *    "legend": false | "top-left" | "top-right" | "bottom-left" | "bottom-right"}
 *   RULE: {"color": "#rrggbb" | CSS name | [B, G, R], "thickness": 1..256, "chip": bool,
 *          "template": TEXT, "chip_position": "above" | "inside" | "below",
 *          "corners": bool, "fill_alpha": 0..1}
 * Unknown keys and wrong types are errors. Returns 0 or INVALID with the place named
 * ("style: labels.face.template: unknown field 'scor'"); *out NULL on error.
 */
int style_parse(Style **out, const char *json_text);
void style_free(Style **s);

/* The style of d (borrowed strings live in s). */
void style_resolve(const Style *s, const EvclipDetection *d, BoxStyle *out);

/* enum StyleLegend of s. */
int style_legend(const Style *s);

/*
 * Formats a chip template for d into buf (cut at size - 1 bytes). Fields: {label}, {track_id}
 * (optionally {track_id:d}), {score} (as "0.64"), {score:.Nf}, {score:.N%} (N 0..6); "{{" and
 * "}}" are braces. A field d lacks (no track id, no score) is left out together with the
 * literal text just before it ("car #{track_id}" -> "car" without a track). Returns 0, or -1
 * with a message in err (errlen bytes) when the template is malformed (d may then be NULL:
 * checking only).
 */
int style_format(const char *tmpl, const EvclipDetection *d, char *buf, size_t size,
                 char *err, size_t errlen);

#endif /* EVCLIP_SRC_STYLE_H */
