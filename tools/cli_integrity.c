/* cli_integrity.c: `evclip keygen`, `evclip verify` and `evclip inspect` (evidence integrity). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/cli.h"

/* Exit codes of `evclip verify` beyond the common ones (documented in its --help). */
enum {
    EXIT_VERIFY_OUTPUT = 10,   /* the clip differs from the manifest's hash */
    EXIT_VERIFY_MANIFEST = 11, /* manifest edited (signature mismatch) or malformed */
    EXIT_VERIFY_KEY = 12,      /* signed by another key, or unsigned while --pubkey given */
    EXIT_VERIFY_SOURCES = 13,  /* a source or detection log is missing or changed */
};

/* Parses the common short options; returns 0 to continue, -1 after --help, or an exit code. */
static int next_option(int argc, char **argv, const char *command, const char *usage,
                       const struct option *options, int *c)
{
    /* optind is 1 only before the first option is read. */
    if (optind == 1 && cli_check_options(command, argc, argv, "o:qhV", options))
        return EXIT_USAGE;
    *c = getopt_long(argc, argv, "o:qhV", options, NULL);
    if (*c == 'h') {
        fputs(usage, stdout);
        return -1;
    }
    if (*c == 'V') {
        printf("evclip %s\n", evclip_version());
        return -1;
    }
    if (*c == '?')
        return cli_usage_error(command, "bad option (see above)");
    return 0;
}

/* ---- keygen ---------------------------------------------------------------------------- */

static const char keygen_usage[] =
    "Usage: evclip keygen [-o PREFIX]\n"
    "\n"
    "Creates an Ed25519 key pair for signing evidence manifests (evclip render --sign-key):\n"
    "PREFIX.key, the secret key (mode 0600; never readable by group or others), and\n"
    "PREFIX.pub, the public key to give to verifiers (evclip verify --pubkey). Both are\n"
    "text: a header line ('evclip-ed25519-secret-key-v1' / 'evclip-ed25519-public-key-v1')\n"
    "then the key in base64. Existing files are never overwritten.\n"
    "\n"
    "  -o, --output PREFIX   path prefix of the two files (default: evclip)\n"
    "  -q, --quiet           print nothing on success\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 6 a file exists or cannot be written.\n";

int cli_keygen_main(int argc, char **argv)
{
    static const struct option options[] = {
        { "output", required_argument, NULL, 'o' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *prefix = "evclip";
    int quiet = 0, c, ret;
    optind = 1;
    while ((ret = next_option(argc, argv, "keygen", keygen_usage, options, &c)) == 0 && c != -1) {
        if (c == 'o')
            prefix = optarg;
        else if (c == 'q')
            quiet = 1;
    }
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    if (optind < argc)
        return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (!*prefix)
        return cli_usage_error("keygen", "-o: empty prefix");
    if ((ret = evclip_keygen(prefix)) < 0) {
        cli_print_error(ret);
        return ret == EVCLIP_ERR_INVALID ? EXIT_USAGE : EXIT_OUTPUT;
    }
    if (!quiet)
        printf("wrote %s.key (secret, mode 0600) and %s.pub (public)\n", prefix, prefix);
    return EXIT_OK;
}

/* ---- verify ---------------------------------------------------------------------------- */

static const char verify_usage[] =
    "Usage: evclip verify CLIP [--pubkey FILE] [--sources] [--manifest FILE] [--json]\n"
    "\n"
    "Checks CLIP against its evidence manifest (CLIP.evidence.json): recomputes the clip's\n"
    "SHA-256, checks the Ed25519 signature over the manifest's canonical form and, with\n"
    "--pubkey, that the signer is that key (without it a valid signature proves the manifest\n"
    "unedited, not who signed it). Says exactly what failed.\n"
    "\n"
    "      --pubkey FILE     public key (.pub from evclip keygen) the manifest must be signed by\n"
    "      --sources         also re-hash every source video and detection log listed (a\n"
    "                        live stream source cannot be re-hashed: reported as such,\n"
    "                        neither passed nor failed)\n"
    "      --manifest FILE   manifest path (default CLIP.evidence.json)\n"
    "      --json            one JSON object on stdout with every check\n"
    "  -q, --quiet           print only failures\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit codes (the first that applies): 0 every check passed, 2 usage, 3 clip or manifest\n"
    "missing or unreadable, or a bad public key file, 11 manifest edited (signature mismatch)\n"
    "or malformed, 12 wrong key (signed by another key, or unsigned with --pubkey), 10 output\n"
    "modified (hash mismatch), 13 a source missing or changed (--sources), 1 other failure.\n";

static const char *check_name(int check)
{
    return check == EVCLIP_CHECK_PASSED ? "passed" :
           check == EVCLIP_CHECK_FAILED ? "failed" : "skipped";
}

static int verify_exit(const EvclipVerifyResult *v)
{
    if (v->manifest != EVCLIP_CHECK_PASSED || v->signature == EVCLIP_CHECK_FAILED)
        return EXIT_VERIFY_MANIFEST;
    if (v->key == EVCLIP_CHECK_FAILED)
        return EXIT_VERIFY_KEY;
    if (v->output == EVCLIP_CHECK_FAILED)
        return EXIT_VERIFY_OUTPUT;
    if (v->sources == EVCLIP_CHECK_FAILED)
        return EXIT_VERIFY_SOURCES;
    return EXIT_OK;
}

static void verify_json(const char *clip, const EvclipVerifyResult *v, int code, int exit_code)
{
    printf("{\"clip\": ");
    cli_json_string(stdout, clip);
    if (code < 0) {
        printf(", \"ok\": false, \"exit_code\": %d, \"error\": ", exit_code);
        cli_json_string(stdout, evclip_last_error());
        printf("}\n");
        return;
    }
    printf(", \"ok\": %s, \"exit_code\": %d, \"manifest\": \"%s\", \"output\": \"%s\", "
           "\"signature\": \"%s\", \"key\": \"%s\", \"sources\": \"%s\", \"nb_sources\": %d, "
           "\"sources_missing\": %d, \"sources_changed\": %d, \"sources_live\": %d, "
           "\"redacted\": %s, \"key_id\": ",
           v->ok ? "true" : "false", exit_code, check_name(v->manifest), check_name(v->output),
           check_name(v->signature), check_name(v->key), check_name(v->sources),
           v->nb_sources, v->sources_missing, v->sources_changed, v->sources_live,
           v->redacted ? "true" : "false");
    if (v->key_id[0])
        cli_json_string(stdout, v->key_id);
    else
        fputs("null", stdout);
    printf(", \"detail\": ");
    cli_json_string(stdout, v->detail);
    printf("}\n");
}

static void verify_text(const char *clip, const EvclipVerifyResult *v, const char *pubkey,
                        int sources)
{
    printf("%s: %s\n", clip, v->ok ? "OK" : "FAILED");
    printf("  manifest   %s\n", check_name(v->manifest));
    printf("  output     %s (size and SHA-256)\n", check_name(v->output));
    if (v->manifest != EVCLIP_CHECK_PASSED)
        printf("  signature  skipped\n");
    else if (v->signature == EVCLIP_CHECK_SKIPPED)
        printf("  signature  skipped (manifest not signed)\n");
    else
        printf("  signature  %s (key %s)\n", check_name(v->signature), v->key_id);
    printf("  key        %s%s\n", check_name(v->key),
           pubkey ? "" : " (no --pubkey: the signer is not checked)");
    printf("  sources    %s", check_name(v->sources));
    if (sources && v->sources_live)
        printf(" (%d listed, %d missing, %d changed; %d from a live stream: a live stream "
               "cannot be re-hashed, the clip rests on its output hash%s)\n", v->nb_sources,
               v->sources_missing, v->sources_changed, v->sources_live,
               v->signature == EVCLIP_CHECK_PASSED ? " and signature" : "");
    else if (sources)
        printf(" (%d listed, %d missing, %d changed)\n", v->nb_sources, v->sources_missing,
               v->sources_changed);
    else
        printf(" (no --sources)\n");
    if (v->redacted)
        printf("  redaction  redacted derivative: regions of the sources were hidden (see the "
               "manifest's \"redaction\")\n");
}

int cli_verify_main(int argc, char **argv)
{
    enum { OPT_PUBKEY = 256, OPT_SOURCES, OPT_MANIFEST, OPT_JSON };
    static const struct option options[] = {
        { "pubkey", required_argument, NULL, OPT_PUBKEY },
        { "sources", no_argument, NULL, OPT_SOURCES },
        { "manifest", required_argument, NULL, OPT_MANIFEST },
        { "json", no_argument, NULL, OPT_JSON }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *pubkey = NULL, *manifest = NULL;
    int sources = 0, json = 0, quiet = 0, c, ret;
    optind = 1;
    while ((ret = next_option(argc, argv, "verify", verify_usage, options, &c)) == 0 && c != -1) {
        switch (c) {
        case OPT_PUBKEY: pubkey = optarg; break;
        case OPT_SOURCES: sources = 1; break;
        case OPT_MANIFEST: manifest = optarg; break;
        case OPT_JSON: json = 1; break;
        case 'q': quiet = 1; break;
        default: return cli_usage_error("verify", "unknown option");
        }
    }
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    if (optind != argc - 1)
        return cli_usage_error("verify", optind < argc ? "one CLIP expected" : "missing CLIP");
    const char *clip = argv[optind];
    EvclipVerifyResult v;
    ret = evclip_verify(clip, manifest, pubkey, sources ? EVCLIP_VERIFY_SOURCES : 0, &v);
    int exit_code = ret == EVCLIP_ERR_INPUT || ret == EVCLIP_ERR_INVALID ? EXIT_INPUT :
                    ret < 0 ? EXIT_FAILURE_OTHER : verify_exit(&v);
    if (json)
        verify_json(clip, &v, ret, exit_code);
    if (ret < 0) {
        cli_print_error(ret);
        return exit_code;
    }
    if (!json && (!quiet || !v.ok))
        verify_text(clip, &v, pubkey, sources);
    if (!v.ok)
        fprintf(stderr, "evclip: verify: %s: %s\n", clip, v.detail);
    return exit_code;
}

/* ---- inspect --------------------------------------------------------------------------- */

static const char inspect_usage[] =
    "Usage: evclip inspect CLIP [--only-data]\n"
    "\n"
    "Prints the detections embedded in CLIP's H.264 stream (SEI user data written by\n"
    "evclip render), one JSON object per video frame, in presentation order:\n"
    "  {\"frame\": N, \"pts\": SECONDS, \"source_index\": I, \"source_time\": SECONDS,\n"
    "   \"detections\": [{\"label\": L, \"score\": S, \"track_id\": T,\n"
    "                   \"box\": [x1, y1, x2, y2], \"color\": [b, g, r]}]}\n"
    "score, track_id and color appear only when set; \"normalized\": true when the box is in\n"
    "fractions of the frame; \"polygon\": [[x, y], ...] when the box outlines a polygon\n"
    "(the box is its bounding box); \"extra\": {\"redacted\": true} when the box's pixels were\n"
    "redacted (--redact). A frame without embedded data has \"source_time\": null.\n"
    "A frame whose wall-clock time was known when it was rendered (--epoch, the log's\n"
    "wallclock, creation_time) also has \"wallclock\": EPOCH_SECONDS and \"wallclock_utc\".\n"
    "The output is a detection log (format inspect): render -d takes it, boxes keyed by\n"
    "source_time, to re-render the same source.\n"
    "\n"
    "      --only-data       skip frames that carry no embedded data\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit codes: 0 ok, 1 not H.264 in MP4/MOV, 2 usage, 3 unreadable clip or malformed data.\n";

static void print_detection(const EvclipDetection *d, unsigned flags, int nb_points,
                            const float *points)
{
    printf("{\"label\": ");
    cli_json_string(stdout, d->label);
    if (d->score >= 0)
        printf(", \"score\": %.7g", d->score);
    if (d->track_id >= 0)
        printf(", \"track_id\": %lld", (long long)d->track_id);
    printf(", \"box\": [%.7g, %.7g, %.7g, %.7g]", d->x1, d->y1, d->x2, d->y2);
    if (d->has_color)
        printf(", \"color\": [%d, %d, %d]", d->color[0], d->color[1], d->color[2]);
    if (nb_points > 0 && points) {
        printf(", \"polygon\": [");
        for (int k = 0; k < nb_points; k++)
            printf("%s[%.7g, %.7g]", k ? ", " : "", points[2 * k], points[2 * k + 1]);
        printf("]");
    }
    if (d->normalized)
        printf(", \"normalized\": true");
    if (flags & (EVCLIP_BOX_REDACTED | EVCLIP_BOX_INTERPOLATED))
        printf(", \"extra\": {%s%s%s}", flags & EVCLIP_BOX_REDACTED ? "\"redacted\": true" : "",
               (flags & EVCLIP_BOX_REDACTED) && (flags & EVCLIP_BOX_INTERPOLATED) ? ", " : "",
               flags & EVCLIP_BOX_INTERPOLATED ? "\"interpolated\": true" : "");
    printf("}");
}

/* "wallclock": epoch seconds, "wallclock_utc": "YYYY-MM-DDTHH:MM:SS.mmmZ", */
static void print_wall(double wall)
{
    long long ms = llround(wall * 1000);
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    char text[32] = "";
    if (gmtime_r(&sec, &tm))
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
    printf("\"wallclock\": %.3f, \"wallclock_utc\": \"%s.%03lldZ\", ", wall, text, ms % 1000);
}

static int print_frame(void *opaque, const EvclipInspectFrame *f)
{
    const int *only_data = opaque;
    if (*only_data && !f->has_data)
        return 0;
    printf("{\"frame\": %lld, \"pts\": %.6f, ", (long long)f->index, f->time);
    if (f->has_data && !isnan(f->wall_time))
        print_wall(f->wall_time);
    if (f->has_data)
        printf("\"source_index\": %d, \"source_time\": %.6f, \"detections\": [",
               f->source_index, f->source_time);
    else
        printf("\"source_index\": null, \"source_time\": null, \"detections\": [");
    for (int i = 0; i < f->nb_detections; i++) {
        if (i)
            fputs(", ", stdout);
        print_detection(&f->detections[i], f->box_flags ? f->box_flags[i] : 0,
                        f->nb_points ? f->nb_points[i] : 0, f->points ? f->points[i] : NULL);
    }
    printf("]}\n");
    return 0;
}

int cli_inspect_main(int argc, char **argv)
{
    enum { OPT_ONLY_DATA = 256 };
    static const struct option options[] = {
        { "only-data", no_argument, NULL, OPT_ONLY_DATA },
        { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int only_data = 0, c, ret;
    optind = 1;
    while ((ret = next_option(argc, argv, "inspect", inspect_usage, options, &c)) == 0 &&
           c != -1) {
        if (c == OPT_ONLY_DATA)
            only_data = 1;
        else
            return cli_usage_error("inspect", "unknown option");
    }
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    if (optind != argc - 1)
        return cli_usage_error("inspect", optind < argc ? "one CLIP expected" : "missing CLIP");
    ret = evclip_inspect(argv[optind], print_frame, &only_data);
    fflush(stdout);
    if (ret < 0) {
        cli_print_error(ret);
        return ret == EVCLIP_ERR_INPUT || ret == EVCLIP_ERR_DECODE ? EXIT_INPUT :
               ret == EVCLIP_ERR_INVALID ? EXIT_USAGE : EXIT_FAILURE_OTHER;
    }
    if (ret == 0)
        fprintf(stderr, "evclip: warning: %s: no frame carries evclip detections\n",
                argv[optind]);
    return EXIT_OK;
}
