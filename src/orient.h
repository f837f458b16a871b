/* orient.h: display orientation of a video (display matrix): sizes, pixels and boxes turned
 * from stored to display space, as players show them. */
#ifndef EVCLIP_SRC_ORIENT_H
#define EVCLIP_SRC_ORIENT_H

#include <stddef.h>
#include <stdint.h>

#include "evclip/evclip.h"

/*
 * One of the 8 axis-aligned orientations, as bits applied in this order to a stored picture:
 * ORIENT_TRANSPOSE swaps x and y (main diagonal), then ORIENT_HFLIP mirrors left-right and
 * ORIENT_VFLIP top-bottom in the (transposed) display picture. 0 = shown as stored.
 * Rotations: 90 clockwise = TRANSPOSE|HFLIP, 180 = HFLIP|VFLIP, 90 counter-clockwise (270
 * clockwise) = TRANSPOSE|VFLIP.
 */
enum {
    ORIENT_TRANSPOSE = 1,
    ORIENT_HFLIP = 2,
    ORIENT_VFLIP = 4,
};

/* The orientation a display matrix (ISO 14496-12 / AV_PKT_DATA_DISPLAYMATRIX, 9 values) asks
 * players to show, decided as the ffmpeg command-line tool does (its autorotate: rotation from
 * av_display_rotation_get, mirror from the matrix's signs). `matrix` NULL gives 0.
 * *degrees receives the clockwise angle the matrix asks for (0..360, NAN when none); an
 * angle more than 1 degree away from a multiple of 90 snaps to the nearest one (*odd = 1). */
int orient_from_matrix(const int32_t *matrix, double *degrees, int *odd);

/* Clockwise rotation in degrees (0, 90, 180, 270) and mirror (1 = then mirrored left-right)
 * that make up orientation o. */
void orient_describe(int o, int *rotation, int *mirror);

/* Display size of a stored w x h picture. */
void orient_size(int o, int w, int h, int *dw, int *dh);

/* Maps a box of a stored w x h picture to the display picture (corner order restored). */
void orient_box(int o, int w, int h, double *x1, double *y1, double *x2, double *y2);

/* Writes the display picture of a stored plane: dst is dw x dh (the display size of the
 * stored plane), src its stored plane. */
void orient_plane(int o, uint8_t *dst, ptrdiff_t dst_stride, int dw, int dh,
                  const uint8_t *src, ptrdiff_t src_stride);

#endif /* EVCLIP_SRC_ORIENT_H */
