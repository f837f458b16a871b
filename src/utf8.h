/* utf8.h: minimal UTF-8 decoding for label text. */
#ifndef EVCLIP_SRC_UTF8_H
#define EVCLIP_SRC_UTF8_H

#include <stdint.h>

/* Decodes the code point at *s and advances *s past it. Invalid bytes decode as U+FFFD and
 * advance one byte. Returns 0 at the terminating NUL (without advancing). */
uint32_t utf8_next(const char **s);

#endif /* EVCLIP_SRC_UTF8_H */
