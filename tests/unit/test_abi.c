/* test_abi.c: the public structs' sizes and field offsets against tests/unit/abi.snapshot, so
 * no struct changes without the snapshot (and the API version) changing with it; and the
 * library's evclip_struct_size() against this header. Update after a deliberate change:
 *   build/tests/test_abi --write tests/unit/abi.snapshot   (then bump EVCLIP_API_VERSION) */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evclip/evclip.h"
#include "tests/unit/check.h"

typedef struct Entry {
    const char *name;    /* "Struct" or "Struct.field" */
    size_t offset, size; /* offset 0 for a struct */
    int is_struct;
} Entry;

#define STRUCT(s) { #s, 0, sizeof(s), 1 }
#define FIELD(s, f) { #s "." #f, offsetof(s, f), sizeof(((s *)0)->f), 0 }

/* Every public struct and every field, in header order. */
static const Entry entries[] = {
    STRUCT(EvclipProgress),
    FIELD(EvclipProgress, frames_done),
    FIELD(EvclipProgress, frames_total),
    FIELD(EvclipProgress, seconds_done),
    FIELD(EvclipProgress, seconds_total),
    STRUCT(EvclipDetection),
    FIELD(EvclipDetection, frame_idx),
    FIELD(EvclipDetection, ts),
    FIELD(EvclipDetection, x1),
    FIELD(EvclipDetection, y1),
    FIELD(EvclipDetection, x2),
    FIELD(EvclipDetection, y2),
    FIELD(EvclipDetection, label),
    FIELD(EvclipDetection, score),
    FIELD(EvclipDetection, track_id),
    FIELD(EvclipDetection, has_color),
    FIELD(EvclipDetection, color),
    FIELD(EvclipDetection, normalized),
    STRUCT(EvclipDetectionStats),
    FIELD(EvclipDetectionStats, count),
    FIELD(EvclipDetectionStats, skipped),
    FIELD(EvclipDetectionStats, reserved),
    STRUCT(EvclipDrawOptions),
    FIELD(EvclipDrawOptions, struct_size),
    FIELD(EvclipDrawOptions, redact),
    FIELD(EvclipDrawOptions, nb_redact),
    FIELD(EvclipDrawOptions, redact_mode),
    FIELD(EvclipDrawOptions, redact_pad),
    FIELD(EvclipDrawOptions, redact_label),
    FIELD(EvclipDrawOptions, redact_detections),
    FIELD(EvclipDrawOptions, interpolate),
    FIELD(EvclipDrawOptions, style),
    FIELD(EvclipDrawOptions, timezone),
    FIELD(EvclipDrawOptions, reserved),
    STRUCT(EvclipSettings),
    FIELD(EvclipSettings, struct_size),
    FIELD(EvclipSettings, log_callback),
    FIELD(EvclipSettings, log_opaque),
    FIELD(EvclipSettings, log_level),
    FIELD(EvclipSettings, ffmpeg_log),
    FIELD(EvclipSettings, progress_callback),
    FIELD(EvclipSettings, progress_opaque),
    FIELD(EvclipSettings, encoder),
    FIELD(EvclipSettings, preset),
    FIELD(EvclipSettings, crf),
    FIELD(EvclipSettings, bitrate),
    FIELD(EvclipSettings, threads),
    FIELD(EvclipSettings, audio),
    FIELD(EvclipSettings, font),
    FIELD(EvclipSettings, hold),
    FIELD(EvclipSettings, title),
    FIELD(EvclipSettings, timestamp),
    FIELD(EvclipSettings, thickness),
    FIELD(EvclipSettings, font_size),
    FIELD(EvclipSettings, overwrite),
    FIELD(EvclipSettings, clamp),
    FIELD(EvclipSettings, manifest),
    FIELD(EvclipSettings, sign_key),
    FIELD(EvclipSettings, embed_detections),
    FIELD(EvclipSettings, box_space),
    FIELD(EvclipSettings, clip_done_callback),
    FIELD(EvclipSettings, clip_done_opaque),
    FIELD(EvclipSettings, poster),
    FIELD(EvclipSettings, label_max),
    FIELD(EvclipSettings, worker),
    FIELD(EvclipSettings, draw_options),
    FIELD(EvclipSettings, native),
    FIELD(EvclipSettings, reserved),
    STRUCT(EvclipSource),
    FIELD(EvclipSource, path),
    FIELD(EvclipSource, detections),
    FIELD(EvclipSource, start),
    FIELD(EvclipSource, end),
    FIELD(EvclipSource, ts_origin),
    FIELD(EvclipSource, stream),
    FIELD(EvclipSource, fps),
    FIELD(EvclipSource, epoch),
    FIELD(EvclipSource, epoch_known),
    FIELD(EvclipSource, epoch_origin),
    FIELD(EvclipSource, reserved),
    STRUCT(EvclipClip),
    FIELD(EvclipClip, sources),
    FIELD(EvclipClip, nb_sources),
    FIELD(EvclipClip, output),
    FIELD(EvclipClip, pre_roll),
    FIELD(EvclipClip, post_roll),
    FIELD(EvclipClip, speed),
    FIELD(EvclipClip, max_duration),
    FIELD(EvclipClip, cap_strategy),
    FIELD(EvclipClip, width),
    FIELD(EvclipClip, height),
    FIELD(EvclipClip, settings),
    FIELD(EvclipClip, reserved),
    STRUCT(EvclipResult),
    FIELD(EvclipResult, status),
    FIELD(EvclipResult, error),
    FIELD(EvclipResult, frames),
    FIELD(EvclipResult, duration),
    FIELD(EvclipResult, first_time),
    FIELD(EvclipResult, last_time),
    FIELD(EvclipResult, boxes_drawn),
    FIELD(EvclipResult, frames_decoded),
    FIELD(EvclipResult, has_audio),
    FIELD(EvclipResult, encoder),
    FIELD(EvclipResult, width),
    FIELD(EvclipResult, height),
    FIELD(EvclipResult, output_sha256),
    FIELD(EvclipResult, nb_warnings),
    FIELD(EvclipResult, warnings),
    FIELD(EvclipResult, damaged_packets),
    FIELD(EvclipResult, reserved),
    STRUCT(EvclipStats),
    FIELD(EvclipStats, sources_opened),
    FIELD(EvclipStats, frames_decoded),
    FIELD(EvclipStats, seeks),
    FIELD(EvclipStats, clips_rendered),
    FIELD(EvclipStats, reserved),
    STRUCT(EvclipFrame),
    FIELD(EvclipFrame, format),
    FIELD(EvclipFrame, width),
    FIELD(EvclipFrame, height),
    FIELD(EvclipFrame, data),
    FIELD(EvclipFrame, linesize),
    FIELD(EvclipFrame, time),
    FIELD(EvclipFrame, reserved),
    STRUCT(EvclipWriterParams),
    FIELD(EvclipWriterParams, output),
    FIELD(EvclipWriterParams, width),
    FIELD(EvclipWriterParams, height),
    FIELD(EvclipWriterParams, fps_num),
    FIELD(EvclipWriterParams, fps_den),
    FIELD(EvclipWriterParams, reserved),
    STRUCT(EvclipVerifyResult),
    FIELD(EvclipVerifyResult, ok),
    FIELD(EvclipVerifyResult, manifest),
    FIELD(EvclipVerifyResult, output),
    FIELD(EvclipVerifyResult, signature),
    FIELD(EvclipVerifyResult, key),
    FIELD(EvclipVerifyResult, sources),
    FIELD(EvclipVerifyResult, nb_sources),
    FIELD(EvclipVerifyResult, sources_missing),
    FIELD(EvclipVerifyResult, sources_changed),
    FIELD(EvclipVerifyResult, sources_live),
    FIELD(EvclipVerifyResult, key_id),
    FIELD(EvclipVerifyResult, detail),
    FIELD(EvclipVerifyResult, redacted),
    FIELD(EvclipVerifyResult, reserved),
    STRUCT(EvclipInspectFrame),
    FIELD(EvclipInspectFrame, index),
    FIELD(EvclipInspectFrame, time),
    FIELD(EvclipInspectFrame, has_data),
    FIELD(EvclipInspectFrame, source_index),
    FIELD(EvclipInspectFrame, source_time),
    FIELD(EvclipInspectFrame, detections),
    FIELD(EvclipInspectFrame, nb_detections),
    FIELD(EvclipInspectFrame, box_flags),
    FIELD(EvclipInspectFrame, nb_points),
    FIELD(EvclipInspectFrame, points),
    FIELD(EvclipInspectFrame, wall_time),
    STRUCT(EvclipLiveEvent),
    FIELD(EvclipLiveEvent, type),
    FIELD(EvclipLiveEvent, stream),
    FIELD(EvclipLiveEvent, clip_id),
    FIELD(EvclipLiveEvent, path),
    FIELD(EvclipLiveEvent, message),
    FIELD(EvclipLiveEvent, clock),
    FIELD(EvclipLiveEvent, start),
    FIELD(EvclipLiveEvent, end),
    FIELD(EvclipLiveEvent, duration),
    FIELD(EvclipLiveEvent, frames),
    FIELD(EvclipLiveEvent, pre_available),
    FIELD(EvclipLiveEvent, incomplete),
    FIELD(EvclipLiveEvent, status),
    FIELD(EvclipLiveEvent, delay),
    FIELD(EvclipLiveEvent, attempt),
    FIELD(EvclipLiveEvent, stats),
    FIELD(EvclipLiveEvent, pre_requested),
    FIELD(EvclipLiveEvent, gaps),
    FIELD(EvclipLiveEvent, ngaps),
    FIELD(EvclipLiveEvent, damaged_packets),
    FIELD(EvclipLiveEvent, manifest),
    FIELD(EvclipLiveEvent, trigger_ids),
    FIELD(EvclipLiveEvent, nb_trigger_ids),
    FIELD(EvclipLiveEvent, ready_after_end_s),
    FIELD(EvclipLiveEvent, late_detections),
    FIELD(EvclipLiveEvent, late_max_s),
    FIELD(EvclipLiveEvent, native_path),
    STRUCT(EvclipLiveSettings),
    FIELD(EvclipLiveSettings, struct_size),
    FIELD(EvclipLiveSettings, event_callback),
    FIELD(EvclipLiveSettings, event_opaque),
    FIELD(EvclipLiveSettings, pre_roll_max),
    FIELD(EvclipLiveSettings, ring_bytes),
    FIELD(EvclipLiveSettings, overlap),
    FIELD(EvclipLiveSettings, workers),
    FIELD(EvclipLiveSettings, stall_timeout),
    FIELD(EvclipLiveSettings, connect_timeout),
    FIELD(EvclipLiveSettings, backoff_min),
    FIELD(EvclipLiveSettings, backoff_max),
    FIELD(EvclipLiveSettings, detection_delay),
    FIELD(EvclipLiveSettings, outage_grace),
    FIELD(EvclipLiveSettings, output_dir),
    FIELD(EvclipLiveSettings, preview_hls),
    FIELD(EvclipLiveSettings, native),
    FIELD(EvclipLiveSettings, native_only),
    FIELD(EvclipLiveSettings, timezone),
    FIELD(EvclipLiveSettings, reserved),
    STRUCT(EvclipStreamParams),
    FIELD(EvclipStreamParams, name),
    FIELD(EvclipStreamParams, url),
    FIELD(EvclipStreamParams, transport),
    FIELD(EvclipStreamParams, realtime),
    FIELD(EvclipStreamParams, loop),
    FIELD(EvclipStreamParams, pre),
    FIELD(EvclipStreamParams, post),
    FIELD(EvclipStreamParams, detection_delay),
    FIELD(EvclipStreamParams, native),
    FIELD(EvclipStreamParams, native_only),
    FIELD(EvclipStreamParams, timezone),
    FIELD(EvclipStreamParams, reserved),
    STRUCT(EvclipStreamStats),
    FIELD(EvclipStreamStats, connected),
    FIELD(EvclipStreamStats, packets),
    FIELD(EvclipStreamStats, ring_packets),
    FIELD(EvclipStreamStats, ring_bytes),
    FIELD(EvclipStreamStats, ring_seconds),
    FIELD(EvclipStreamStats, reconnects),
    FIELD(EvclipStreamStats, recording),
    FIELD(EvclipStreamStats, clock),
    FIELD(EvclipStreamStats, state),
    FIELD(EvclipStreamStats, reserved),
};

#define NB_ENTRIES (sizeof(entries) / sizeof(entries[0]))

static void format_entry(const Entry *e, char *line, size_t size)
{
    if (e->is_struct)
        snprintf(line, size, "%s size %zu", e->name, e->size);
    else
        snprintf(line, size, "%s offset %zu size %zu", e->name, e->offset, e->size);
}

static int write_snapshot(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f, "# evclip public ABI (LP64) at API %d.%d.%d: written by test_abi --write\n",
            EVCLIP_API_VERSION_MAJOR, EVCLIP_API_VERSION_MINOR, EVCLIP_API_VERSION_PATCH);
    for (size_t i = 0; i < NB_ENTRIES; i++) {
        char line[256];
        format_entry(&entries[i], line, sizeof(line));
        fprintf(f, "%s\n", line);
    }
    return fclose(f) != 0;
}

/* Compares line by line; every difference is printed. */
static void compare_snapshot(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f)
        return;
    char got[256], want[256];
    size_t i = 0;
    while (fgets(want, sizeof(want), f)) {
        want[strcspn(want, "\n")] = '\0';
        if (want[0] == '#' || !want[0])
            continue;
        if (i >= NB_ENTRIES) {
            CHECK_MSG(0, "snapshot has '%s', the header no longer has it", want);
            continue;
        }
        format_entry(&entries[i++], got, sizeof(got));
        CHECK_MSG(!strcmp(got, want), "header: '%s', snapshot: '%s'", got, want);
    }
    for (; i < NB_ENTRIES; i++) {
        format_entry(&entries[i], got, sizeof(got));
        CHECK_MSG(0, "header has '%s', the snapshot does not", got);
    }
    fclose(f);
    if (check_failed)
        fprintf(stderr, "a public struct changed: if deliberate, bump the API version (major "
                "for a size or layout change) and run: test_abi --write %s\n", path);
}

static void compare_library(void)
{
    for (size_t i = 0; i < NB_ENTRIES; i++)
        if (entries[i].is_struct)
            CHECK_MSG(evclip_struct_size(entries[i].name) == entries[i].size,
                      "evclip_struct_size(\"%s\") = %zu, header sizeof = %zu", entries[i].name,
                      evclip_struct_size(entries[i].name), entries[i].size);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write"))
        return write_snapshot(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: test_abi SNAPSHOT | test_abi --write SNAPSHOT\n");
        return 2;
    }
    if (sizeof(void *) != 8 || sizeof(long) != 8) {
        printf("the snapshot is of an LP64 ABI: skipped\n");
        return TEST_SKIP;
    }
    compare_library();
    compare_snapshot(argv[1]);
    return test_summary();
}
