/* fontfind.c: font name to font files through fontconfig: the font asked for + its fallbacks. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fontconfig/fontconfig.h>
#include <fontconfig/fcfreetype.h>

#include "src/error.h"
#include "src/fontfind.h"

#define MAX_FILES 256

static int is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Generic names that fontconfig resolves to some installed family by design. */
static int is_generic(const FcChar8 *family)
{
    static const char *const generic[] = {
        "sans-serif", "sans", "serif", "monospace", "mono", "cursive", "fantasy", "system-ui",
    };

    for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
        if (!FcStrCmpIgnoreCase(family, (const FcChar8 *)generic[i]))
            return 1;
    return 0;
}

/* Compares family names ignoring case and blanks ("DejaVuSans" names "DejaVu Sans"). */
static int same_family(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        if (!*a)
            return 1;
        a++;
        b++;
    }
}

/* 1 when `match` is the family that was asked for: fontconfig always returns some font, and a
 * silently substituted one would hide a typo in the font name. */
static int family_ok(const FcChar8 *wanted, FcPattern *match)
{
    FcChar8 *family;

    if (!wanted || is_generic(wanted))
        return 1;
    for (int i = 0; FcPatternGetString(match, FC_FAMILY, i, &family) == FcResultMatch; i++)
        if (same_family((const char *)family, (const char *)wanted))
            return 1;
    return 0;
}

/* Appends the file of pattern p (unless already listed); 1 added, 0 skipped, -1 no memory. */
static int add_file(FontFile *files, int *count, FcPattern *p)
{
    FcChar8 *file;
    FcCharSet *cs;
    FcBool color;
    int index;

    if (*count >= MAX_FILES || FcPatternGetString(p, FC_FILE, 0, &file) != FcResultMatch ||
        FcPatternGetCharSet(p, FC_CHARSET, 0, &cs) != FcResultMatch)
        return 0;
    if (FcPatternGetBool(p, FC_COLOR, 0, &color) == FcResultMatch && color)
        return 0;
    if (FcPatternGetInteger(p, FC_INDEX, 0, &index) != FcResultMatch)
        index = 0;
    for (int i = 0; i < *count; i++)
        if (files[i].index == index && !strcmp(files[i].path, (const char *)file))
            return 0;
    FontFile *f = &files[*count];
    f->index = index;
    f->path = strdup((const char *)file);
    /* A private copy: charsets in fontconfig's caches die with the configuration. */
    f->charset = FcCharSetCreate();
    if (!f->path || !f->charset || !FcCharSetMerge(f->charset, cs, NULL)) {
        free(f->path);
        if (f->charset)
            FcCharSetDestroy(f->charset);
        return -1;
    }
    (*count)++;
    return 1;
}

/* The pattern to resolve: the name itself, or for a font file its own family (for the
 * fallback order) with the file queried directly as files[0]. */
static int first_file(const char *name, FcPattern **pat, FontFile *files, int *count)
{
    if (!is_file(name)) {
        *pat = FcNameParse((const FcChar8 *)name);
        return *pat ? 0 : ev_error(EVCLIP_ERR_FONT, "font '%s': not a file nor a fontconfig "
                                   "pattern", name);
    }
    int n = 0;
    FcPattern *q = FcFreeTypeQuery((const FcChar8 *)name, 0, NULL, &n);
    if (!q)
        return ev_error(EVCLIP_ERR_FONT, "font '%s': not a font file", name);
    int r = add_file(files, count, q);
    FcChar8 *family;
    *pat = FcPatternCreate();
    if (*pat && FcPatternGetString(q, FC_FAMILY, 0, &family) == FcResultMatch)
        FcPatternAddString(*pat, FC_FAMILY, family);
    FcPatternDestroy(q);
    if (r < 0 || !*pat)
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    if (r == 0)
        return ev_error(EVCLIP_ERR_FONT, "font '%s': not a font file", name);
    return 0;
}

/* Adds fontconfig's best match (when no file was given) and then its sorted fallbacks. */
static int add_matches(const char *name, FcConfig *cfg, FcPattern *pat, FontFile *files,
                       int *count)
{
    FcChar8 *wanted = NULL;
    FcResult res;
    int ret = 0;

    if (FcPatternGetString(pat, FC_FAMILY, 0, &wanted) == FcResultMatch &&
        !(wanted = FcStrCopy(wanted)))
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    FcConfigSubstitute(cfg, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    if (*count == 0) {
        FcPattern *match = FcFontMatch(cfg, pat, &res);
        if (!match || !family_ok(wanted, match) || add_file(files, count, match) <= 0)
            ret = ev_error(EVCLIP_ERR_FONT, "font '%s': no such file or installed font "
                           "family", name);
        if (match)
            FcPatternDestroy(match);
    }
    FcFontSet *set = ret < 0 ? NULL : FcFontSort(cfg, pat, FcTrue, NULL, &res);
    for (int i = 0; set && i < set->nfont && ret >= 0; i++) {
        FcPattern *p = FcFontRenderPrepare(cfg, pat, set->fonts[i]);
        if (p && add_file(files, count, p) < 0)
            ret = ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
        if (p)
            FcPatternDestroy(p);
    }
    if (set)
        FcFontSetDestroy(set);
    FcStrFree(wanted);
    return ret;
}

int fontfind_resolve(const char *name, FontFile **out, int *count)
{
    FontFile *files = calloc(MAX_FILES, sizeof(*files));
    FcPattern *pat = NULL;
    FcConfig *cfg;
    int ret;

    *out = NULL;
    *count = 0;
    if (!files)
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    ret = first_file(name, &pat, files, count);
    cfg = ret < 0 ? NULL : FcInitLoadConfigAndFonts();
    if (ret >= 0 && !cfg)
        ret = ev_error(EVCLIP_ERR_FONT, "font '%s': cannot load the fontconfig configuration",
                       name);
    if (ret >= 0)
        ret = add_matches(name, cfg, pat, files, count);
    if (cfg)
        FcConfigDestroy(cfg);
    if (pat)
        FcPatternDestroy(pat);
    if (ret < 0) {
        fontfind_free(&files, *count);
        *count = 0;
        return ret;
    }
    *out = files;
    return 0;
}

void fontfind_free(FontFile **files, int count)
{
    if (!files || !*files)
        return;
    for (int i = 0; i < count; i++) {
        free((*files)[i].path);
        if ((*files)[i].charset)
            FcCharSetDestroy((*files)[i].charset);
    }
    free(*files);
    *files = NULL;
}
