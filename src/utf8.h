/* utf8.h: minimal UTF-8 decoding for label text. */
#ifndef EVCLIP_SRC_UTF8_H
#define EVCLIP_SRC_UTF8_H

#include <stdint.h>

/* Decodes the code point at *s and advances *s past it. Invalid bytes decode as U+FFFD and
 * advance one byte. Returns 0 at the terminating NUL (without advancing). */
uint32_t utf8_next(const char **s);

/* Writes cp (<= 0x10FFFF, not a surrogate; else U+FFFD) as 1-4 bytes at out (no NUL).
 * Returns the number of bytes written. */
int utf8_put(uint32_t cp, char *out);

#endif /* EVCLIP_SRC_UTF8_H */
