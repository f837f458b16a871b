/* cli_common.c: shared pieces of the evclip command line: logging, progress, signals, exits. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "tools/cli.h"
#include "tools/cli_spec.h"

static EvclipRenderer *volatile signal_renderer;
static volatile sig_atomic_t signal_number;

void cli_log(void *opaque, int level, const char *message)
{
    const CliOptions *o = opaque;
    static const char *const names[] = { "error", "warning", "info", "debug" };
    if (o->quiet && level > EVCLIP_LOG_ERROR)
        return;
    if (!o->verbose && level >= EVCLIP_LOG_DEBUG)
        return;
    if (o->progress == CLI_PROGRESS_BAR)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "evclip: %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], message);
}

int cli_progress_mode(const CliOptions *o)
{
    if (o->quiet || o->json)
        return CLI_PROGRESS_OFF;
    return isatty(STDERR_FILENO) ? CLI_PROGRESS_BAR : CLI_PROGRESS_LINES;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int terminal_columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* "42% 123/456 frames 57.3 fps ETA 0:06" (ETA once the rate is known); compact for the bar:
 * "42% 123/456 57 fps ETA 0:06", so a bar still fits 40 columns. */
static void progress_text(const EvclipProgress *p, double elapsed, int compact, char *buf,
                          size_t size)
{
    double frac = p->frames_total > 0 ? (double)p->frames_done / p->frames_total : 0;
    double fps = elapsed > 0 ? p->frames_done / elapsed : 0;
    int n = snprintf(buf, size, "%3d%% %lld/%lld%s", (int)(fmin(frac, 1) * 100),
                     (long long)p->frames_done, (long long)p->frames_total,
                     compact ? "" : " frames");
    if (fps > 0 && n > 0 && (size_t)n < size) {
        long long eta = (long long)fmax(0, (p->frames_total - p->frames_done) / fps + 0.5);
        snprintf(buf + n, size - (size_t)n, " %.*f fps ETA %lld:%02lld", compact ? 0 : 1, fps,
                 eta / 60, eta % 60);
    }
}

/* One line, shorter than the terminal (a full-width line would wrap): the bar takes what the
 * text leaves, and is dropped below 5 cells; the text is cut on very narrow terminals. */
static void draw_bar(const EvclipProgress *p, const char *text)
{
    int cols = terminal_columns() - 1, len = (int)strlen(text);
    int width = cols - len - 3;
    double frac = p->frames_total > 0 ? (double)p->frames_done / p->frames_total : 0;
    char bar[512];
    if (width > (int)sizeof(bar) - 1)
        width = (int)sizeof(bar) - 1;
    if (width >= 5) {
        int filled = (int)(fmin(frac, 1) * width);
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r[%s] %s\033[K", bar, text);
    } else {
        fprintf(stderr, "\r%.*s\033[K", cols > 0 ? cols : 0, text);
    }
    fflush(stderr);
}

int cli_progress(void *opaque, const EvclipProgress *p)
{
    CliOptions *o = opaque;
    char text[160];
    if (!o->progress)
        return 0;
    double t = now();
    if (o->started == 0)
        o->started = t;
    progress_text(p, t - o->started, o->progress == CLI_PROGRESS_BAR, text, sizeof(text));
    if (o->progress == CLI_PROGRESS_BAR) {
        draw_bar(p, text);
        return 0;
    }
    int tenth = p->frames_total > 0 ? (int)(10 * p->frames_done / p->frames_total) : 0;
    if (tenth > o->last_tenth && tenth <= 10) {
        o->last_tenth = tenth;
        fprintf(stderr, "evclip: progress: %s\n", text);
    }
    return 0;
}

void cli_progress_end(const CliOptions *o)
{
    if (o->progress == CLI_PROGRESS_BAR)
        fputs("\r\033[K", stderr);
}

static void on_signal(int sig)
{
    signal_number = sig;
    if (signal_renderer)
        evclip_cancel(signal_renderer);
}

void cli_handle_signals(EvclipRenderer *r)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    signal_renderer = r;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static const char *volatile signal_temp;

static void remove_temp(int sig)
{
    if (signal_temp)
        unlink(signal_temp);
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_remove_on_signal(const char *temp)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = remove_temp;
    sigemptyset(&sa.sa_mask);
    signal_temp = temp;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
}

int cli_signal_received(void)
{
    return signal_number;
}

int cli_exit_code(int code)
{
    if (code >= 0)
        return EXIT_OK;
    switch (code) {
    case EVCLIP_ERR_INVALID: return EXIT_USAGE;
    case EVCLIP_ERR_INPUT:
    case EVCLIP_ERR_NO_VIDEO:
    case EVCLIP_ERR_DECODE: return EXIT_INPUT;
    case EVCLIP_ERR_DETECTIONS: return EXIT_DETECTIONS;
    case EVCLIP_ERR_WINDOW: return EXIT_WINDOW;
    case EVCLIP_ERR_OUTPUT:
    case EVCLIP_ERR_EXISTS: return EXIT_OUTPUT;
    case EVCLIP_ERR_ENCODER:
    case EVCLIP_ERR_FONT: return EXIT_ENCODER;
    case EVCLIP_ERR_CANCELED: return signal_number ? 128 + signal_number : EXIT_INTERRUPTED;
    default: return EXIT_FAILURE_OTHER;
    }
}

void cli_print_error(int code)
{
    const char *detail = *cli_spec_last_error() ? cli_spec_last_error() : evclip_last_error();
    if (code == EVCLIP_ERR_CANCELED && signal_number)
        fprintf(stderr, "evclip: interrupted by signal %d; no output written\n",
                (int)signal_number);
    else
        fprintf(stderr, "evclip: error: %s\n", *detail ? detail : evclip_strerror(code));
}

int cli_number(const char *option, const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "evclip: error: %s: '%s' is not a number in [%g, %g]\n", option, s,
                min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_integer(const char *option, const char *s, long long min, long long max,
                long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < min || v > max) {
        fprintf(stderr, "evclip: error: %s: '%s' is not an integer in [%lld, %lld]\n", option,
                s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void cli_json_result(const char *output, const EvclipResult *res, int exit_code)
{
    printf("{\"status\": \"%s\", \"output\": ", res->status < 0 ? "error" : "ok");
    cli_json_string(stdout, output);
    if (res->status < 0) {
        printf(", \"code\": %d, \"exit_code\": %d, \"error\": ", res->status, exit_code);
        cli_json_string(stdout, res->error);
        printf("}\n");
        return;
    }
    printf(", \"frames\": %lld, \"duration\": %.6f, \"first_time\": %.6f, "
           "\"last_time\": %.6f, \"boxes_drawn\": %lld, \"frames_decoded\": %lld, "
           "\"audio\": %s, \"encoder\": ",
           (long long)res->frames, res->duration, res->first_time, res->last_time,
           (long long)res->boxes_drawn, (long long)res->frames_decoded,
           res->has_audio ? "true" : "false");
    cli_json_string(stdout, res->encoder);
    printf(", \"width\": %d, \"height\": %d, \"damaged_packets\": %lld}\n", res->width,
           res->height, (long long)res->damaged_packets);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fputs("evclip: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'evclip %s --help'.\n", command);
    return EXIT_USAGE;
}
