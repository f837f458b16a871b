/* color.h: colour values given as text: "#rrggbb" and the 148 CSS named colours. */
#ifndef EVCLIP_SRC_COLOR_H
#define EVCLIP_SRC_COLOR_H

#include <stdint.h>

/* Parses "#rrggbb" (hex digits in either case) or a CSS named colour ("red", "teal",
 * "rebeccapurple"; case-insensitive) into bgr = {B, G, R}, the order of evclip's arrays.
 * Returns 0, or -1 when text is none of these (bgr untouched). */
int color_parse(const char *text, uint8_t bgr[3]);

#endif /* EVCLIP_SRC_COLOR_H */
