/* cli_redact.c: the redaction options of render and batch (--redact ...), checked by the
 * library's own validation (evclip_settings_validate) so the CLI and Python agree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli_redact.h"

#define STYLE_MAX (1 << 20)

int cli_read_style(const char *path, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(STYLE_MAX + 1) : NULL;
    size_t n = buf ? fread(buf, 1, STYLE_MAX + 1, f) : 0;
    int bad = !f || !buf || ferror(f) || n > STYLE_MAX;
    if (bad) {
        snprintf(err, errlen, "cannot read style '%s': %s", path,
                 !f ? strerror(errno) : !buf ? "out of memory"
                 : n > STYLE_MAX ? "larger than 1 MiB" : "read error");
        free(buf);
    } else {
        buf[n] = 0;
        *out = buf;
    }
    if (f)
        fclose(f);
    return bad ? -1 : 0;
}

void cli_redact_free(CliRedact *r)
{
    free(r->style_text);
    r->style_text = NULL;
}

void cli_redact_init(CliRedact *r)
{
    memset(r, 0, sizeof(*r));
    r->opts.struct_size = sizeof(r->opts);
}

void cli_redact_copy(CliRedact *r, const EvclipDrawOptions *from)
{
    cli_redact_init(r);
    if (!from)
        return;
    r->opts = *from;
    for (int i = 0; i < from->nb_redact && i < EVCLIP_REDACT_MAX_SELECTORS; i++)
        r->selectors[i] = from->redact[i];
    r->opts.redact = r->selectors;
    r->used = 1;
}

int cli_redact_add(CliRedact *r, const char *selector)
{
    if (r->opts.nb_redact >= EVCLIP_REDACT_MAX_SELECTORS)
        return -1;
    r->selectors[r->opts.nb_redact++] = selector;
    r->opts.redact = r->selectors;
    r->used = 1;
    return 0;
}

int cli_redact_parse_mode(const char *s)
{
    static const char *const names[] = { "pixelate", "blur", "fill" };
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

/* Checks the options as they stand with the library's rules. */
static int check(CliRedact *r, const char *option, char *err, size_t errlen)
{
    EvclipSettings s;
    evclip_default_settings(&s);
    s.draw_options = &r->opts;
    if (evclip_settings_validate(&s) < 0) {
        snprintf(err, errlen, "%s: %s", option, evclip_last_error());
        return CLI_REDACT_BAD;
    }
    return 0;
}

int cli_redact_option(CliRedact *r, int opt, const char *arg, char *err, size_t errlen)
{
    char *end;
    long n;
    switch (opt) {
    case CLI_OPT_REDACT:
        if (cli_redact_add(r, arg) < 0) {
            snprintf(err, errlen, "--redact: more than %d selectors",
                     EVCLIP_REDACT_MAX_SELECTORS);
            return CLI_REDACT_BAD;
        }
        return check(r, "--redact", err, errlen);
    case CLI_OPT_REDACT_MODE:
        r->used = 1;
        if ((r->opts.redact_mode = cli_redact_parse_mode(arg)) >= 0)
            return 0;
        snprintf(err, errlen, "--redact-mode: '%s' is not pixelate, blur or fill", arg);
        return CLI_REDACT_BAD;
    case CLI_OPT_REDACT_PAD:
        r->used = 1;
        errno = 0;
        n = strtol(arg, &end, 10);
        if (!errno && end != arg && !*end && n >= 0 && n <= 1000) {
            r->opts.redact_pad = (int)n;
            return 0;
        }
        snprintf(err, errlen, "--redact-pad: '%s' is not a number of pixels in 0..1000", arg);
        return CLI_REDACT_BAD;
    case CLI_OPT_REDACT_LABEL:
        r->opts.redact_label = arg;
        r->used = 1;
        return 0;
    case CLI_OPT_INTERPOLATE: {
        double v = strtod(arg, &end);
        r->used = 1;
        if (end != arg && !*end && v >= 0 && v <= 60) {
            r->opts.interpolate = v;
            return 0;
        }
        snprintf(err, errlen, "--interpolate: '%s' is not seconds in 0..60", arg);
        return CLI_REDACT_BAD;
    }
    case CLI_OPT_STYLE: {
        char name[4200];
        r->used = 1;
        free(r->style_text);
        r->style_text = NULL;
        if (cli_read_style(arg, &r->style_text, err, errlen) < 0)
            return CLI_REDACT_BAD;
        r->opts.style = r->style_text;
        snprintf(name, sizeof(name), "--style %s", arg);
        return check(r, name, err, errlen);
    }
    case CLI_OPT_REDACT_DETECTIONS:
        r->opts.redact_detections = arg;
        r->used = 1;
        return check(r, "--redact-detections", err, errlen);
    case CLI_OPT_TZ:
        r->opts.timezone = arg;
        r->used = 1;
        return check(r, "--tz", err, errlen);
    default:
        return CLI_REDACT_NOT_MINE;
    }
}

void cli_redact_apply(CliRedact *r, EvclipSettings *s)
{
    if (r->used)
        s->draw_options = &r->opts;
}
