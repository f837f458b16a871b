/* fontfind.h: font name to font files through fontconfig: the font asked for + its fallbacks. */
#ifndef EVCLIP_SRC_FONTFIND_H
#define EVCLIP_SRC_FONTFIND_H

#include <fontconfig/fontconfig.h>

/* One font file of a fallback chain. */
typedef struct FontFile {
    char *path;         /* file */
    int index;          /* face index in the file (collections) */
    FcCharSet *charset; /* code points it covers (owned; private copy) */
} FontFile;

/* Resolves `name` (an existing file, or a fontconfig pattern whose family must be installed
 * unless it is generic, e.g. "sans-serif") to files[0], followed by fontconfig's fallback order
 * for it (FcFontSort, trimmed to fonts that add coverage; colour-only fonts, which FreeType
 * cannot draw as a coverage mask, are left out). A private fontconfig configuration is loaded
 * and freed (the application's global one is left alone). Returns 0, EVCLIP_ERR_FONT (detail
 * names the font and why) or NOMEM; free with fontfind_free. */
int fontfind_resolve(const char *name, FontFile **files, int *count);

/* Frees what fontfind_resolve returned; sets *files to NULL. */
void fontfind_free(FontFile **files, int count);

#endif /* EVCLIP_SRC_FONTFIND_H */
