/* draw.h: primitives that paint straight into 8-bit planar YUV 4:2:0 images (no FFmpeg types). */
#ifndef EVCLIP_SRC_DRAW_H
#define EVCLIP_SRC_DRAW_H

#include <stddef.h>
#include <stdint.h>

/* An 8-bit YUV 4:2:0 image: luma width x height, chroma ((width+1)/2) x ((height+1)/2);
 * or, with `packed` set, 8-bit 3-channel pixels (BGR or RGB, 3 bytes each) in plane[0] with
 * stride[0] (planes 1 and 2 unused). */
typedef struct DrawImage {
    uint8_t *plane[3];   /* Y, U (Cb), V (Cr) */
    ptrdiff_t stride[3]; /* bytes per row of each plane */
    int width, height;   /* luma size in pixels */
    int packed;          /* 0 = planar YUV 4:2:0; 1 = packed 3-byte pixels */
} DrawImage;

/* A colour already converted to the image's space: Y, U, V; or, for a packed image, its three
 * bytes in memory order (y = first byte). */
typedef struct DrawColor {
    uint8_t y, u, v;
} DrawColor;

enum DrawMatrix {
    DRAW_BT601 = 0,
    DRAW_BT709 = 1,
    DRAW_PACKED_BGR = 2, /* packed images: the colour's bytes are B, G, R */
    DRAW_PACKED_RGB = 3, /* packed images: R, G, B */
};

/* Converts 8-bit sRGB-ish R, G, B to YUV with the given matrix; limited range (16-235/240)
 * unless full_range. DRAW_PACKED_* give the bytes of a packed pixel (range ignored). */
DrawColor draw_color_from_rgb(uint8_t r, uint8_t g, uint8_t b, enum DrawMatrix matrix,
                              int full_range);

/* Rec. 601 or 709 luma (0..255, full-range scale) of an RGB colour: picks readable text colour. */
int draw_rgb_luma(uint8_t r, uint8_t g, uint8_t b);

/*
 * Chroma rule for every primitive: a chroma sample is painted when any of the (up to) four luma
 * pixels it covers is painted by the primitive, so thin lines keep their colour.
 * Every primitive clips against the image; any coordinates (negative, huge) are safe.
 */

/* Fills the rectangle [x, x+w) x [y, y+h) opaquely. */
void draw_fill_rect(DrawImage *img, int x, int y, int w, int h, DrawColor c);

/* Blends the rectangle [x, x+w) x [y, y+h) towards c with alpha 0..255 (255 = opaque);
 * used for translucent backgrounds. */
void draw_blend_rect(DrawImage *img, int x, int y, int w, int h, DrawColor c, int alpha);

/* Outlines the box [x1, x2) x [y1, y2) with lines `thickness` pixels wide drawn inward from the
 * box edges (a box touching the frame edge stays fully visible). A box thinner than twice the
 * thickness is filled. Does nothing when x2 <= x1 or y2 <= y1 or thickness < 1. */
void draw_box_outline(DrawImage *img, int x1, int y1, int x2, int y2, int thickness,
                      DrawColor c);

/* Draws the segment (x0, y0) - (x1, y1) `thickness` pixels wide (squares of that side centred
 * on points half a pixel apart), clipped to the image first (any coordinates are safe). */
void draw_line(DrawImage *img, double x0, double y0, double x1, double y1, int thickness,
               DrawColor c);

/* Blends colour c through an 8-bit coverage mask (0 = transparent, 255 = opaque) whose top-left
 * pixel lands at (x, y). Used for anti-aliased glyphs. */
void draw_alpha_mask(DrawImage *img, int x, int y, const uint8_t *mask, int mask_w, int mask_h,
                     ptrdiff_t mask_stride, DrawColor c);

#endif /* EVCLIP_SRC_DRAW_H */
