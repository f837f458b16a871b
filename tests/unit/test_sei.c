/* test_sei.c: evclip SEI payloads: round trip, malformed input, NAL scanning, frame side data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/sei.h"
#include "tests/unit/check.h"

#define HEADER (16 + 1 + 1 + 2 + 8 + 2) /* payload header: uuid to count */

static EvclipDetection det(const char *label, double x1, double y1, double x2, double y2)
{
    EvclipDetection d = { EVCLIP_NONE, EVCLIP_NONE, x1, y1, x2, y2, label, EVCLIP_NONE,
                          EVCLIP_NONE, 0, { 0, 0, 0 }, 0 };
    return d;
}

static void test_round_trip(void)
{
    EvclipDetection in[3] = {
        det("car", 347, 416, 452, 432),
        det("person \xc3\xa9t\xc3\xa9", 10.25, 20.5, 30.75, 40.125),
        det("", 0.1, 0.2, 0.3, 0.4),
    };
    in[0].score = 0.639;
    in[0].track_id = 7;
    in[1].has_color = 1;
    in[1].color[0] = 1, in[1].color[1] = 2, in[1].color[2] = 255;
    in[1].track_id = (int64_t)1 << 40;
    in[2].normalized = 1;
    uint8_t *buf;
    size_t size;
    SeiFrame f;
    CHECK(sei_encode(in, NULL, 3, 12.345678901, 2, NAN, &buf, &size) == 0);
    CHECK(size > 16 && memcmp(buf, SEI_UUID, 16) == 0);
    CHECK(sei_decode(buf, size, &f) == 1);
    CHECK(f.count == 3 && f.source_index == 2 && f.source_time == 12.345678901);
    for (int i = 0; i < 3 && f.count == 3; i++) {
        const EvclipDetection *a = &in[i], *b = &f.dets[i];
        CHECK_MSG(!strcmp(a->label, b->label), "label %d '%s'", i, b->label);
        CHECK(fabs(a->x1 - b->x1) < 1e-4 && fabs(a->y2 - b->y2) < 1e-4);
        CHECK(b->track_id == a->track_id && b->has_color == a->has_color);
        CHECK(b->normalized == a->normalized && b->frame_idx == EVCLIP_NONE);
        CHECK(b->ts == 12.345678901);
        CHECK(a->score < 0 ? b->score == EVCLIP_NONE : fabs(a->score - b->score) < 1e-6);
    }
    CHECK(f.dets[1].color[2] == 255 && f.dets[1].color[0] == 1);
    sei_frame_free(&f);

    /* Every truncation is rejected (or not recognised), never read past. */
    for (size_t n = 0; n < size; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, buf, n);
        int ret = sei_decode(cut, n, &f);
        CHECK_MSG(ret <= 0, "truncated at %zu decoded", n);
        if (ret > 0)
            sei_frame_free(&f);
        free(cut);
    }
    /* Another UUID is not ours; an unknown version is an error. */
    buf[0] ^= 1;
    CHECK(sei_decode(buf, size, &f) == 0);
    buf[0] ^= 1;
    buf[16] = 99;
    CHECK(sei_decode(buf, size, &f) == EVCLIP_ERR_INVALID);
    free(buf);

    /* Empty frames and long labels: carried whole (a u16 length with flag bit 4), short ones
     * keep the one-byte length of the first format. */
    static char label[SEI_MAX_LABEL + 2];
    memset(label, 'a', sizeof(label) - 1);
    memcpy(label + 254, "\xc3\xa9", 2); /* a 2-byte character across the old 255 limit */
    label[400] = 0;
    EvclipDetection longd = det(label, 1, 2, 3, 4), pair[2] = { longd, det("ok", 5, 6, 7, 8) };
    CHECK(sei_encode(pair, NULL, 2, 0, 0, NAN, &buf, &size) == 0);
    CHECK(buf[HEADER + 0] == 16 && buf[HEADER + 17] == 1 && buf[HEADER + 18] == 400 - 256);
    CHECK(sei_decode(buf, size, &f) == 1 && f.count == 2 && !strcmp(f.dets[0].label, label) &&
          !strcmp(f.dets[1].label, "ok"));
    sei_frame_free(&f);
    for (size_t n = HEADER; n < size; n++) /* truncated inside the long label: rejected */
        CHECK(sei_decode(buf, n, &f) <= 0);
    free(buf);
    label[255] = 0;
    CHECK(sei_encode(&longd, NULL, 1, 0, 0, NAN, &buf, &size) == 0 && buf[HEADER] == 0 &&
          buf[HEADER + 17] == 255 && size == HEADER + 1 + 16 + 1 + 255);
    free(buf);
    label[255] = label[400] = 'a';
    label[SEI_MAX_LABEL] = 0;
    CHECK(sei_encode(&longd, NULL, 1, 0, 0, NAN, &buf, &size) == 0);
    CHECK(sei_decode(buf, size, &f) == 1 && strlen(f.dets[0].label) == SEI_MAX_LABEL);
    sei_frame_free(&f);
    free(buf);
    label[SEI_MAX_LABEL] = 'a'; /* one byte too many: an error naming it, never a cut */
    label[SEI_MAX_LABEL + 1] = 0;
    CHECK(sei_encode(&longd, NULL, 1, 0, 0, NAN, &buf, &size) == EVCLIP_ERR_INVALID && !buf);
    CHECK_MSG(strstr(ev_error_message(), "label of detection 0 has 65536 bytes"), "%s",
              ev_error_message());
    label[SEI_MAX_LABEL] = 0;
    CHECK(sei_encode(NULL, NULL, 0, 1.5, 0, NAN, &buf, &size) == 0);
    CHECK(sei_decode(buf, size, &f) == 1 && f.count == 0 && f.source_time == 1.5);
    sei_frame_free(&f);
    free(buf);
    CHECK(sei_encode(&longd, NULL, SEI_MAX_DETECTIONS + 1, 0, 0, NAN, &buf, &size) ==
          EVCLIP_ERR_INVALID);
}

/* Builds an AVCC access unit: an SPS-like NAL, then one SEI NAL with the payload escaped. */
/* Marks are flag bits 5 (redacted) and 6 (interpolated), beside bit 4 (long label). */
static void test_marks(void)
{
    static char label[300];
    memset(label, 'b', sizeof(label) - 1);
    EvclipDetection in[2] = { det("face", 1, 2, 3, 4), det(label, 5, 6, 7, 8) };
    uint8_t marks[2] = { EVCLIP_BOX_REDACTED, EVCLIP_BOX_INTERPOLATED | EVCLIP_BOX_REDACTED };
    uint8_t *buf;
    size_t size;
    SeiFrame f;
    CHECK(sei_encode(in, marks, 2, 0, 0, NAN, &buf, &size) == 0);
    CHECK_MSG(buf[HEADER] == 0x20, "flags 0x%02x", buf[HEADER]);
    CHECK_MSG(buf[HEADER + 1 + 16 + 1 + 4] == (0x10 | 0x20 | 0x40), "flags 0x%02x",
              buf[HEADER + 1 + 16 + 1 + 4]);
    CHECK(sei_decode(buf, size, &f) == 1 && f.count == 2 && f.marks &&
          f.marks[0] == EVCLIP_BOX_REDACTED &&
          f.marks[1] == (EVCLIP_BOX_INTERPOLATED | EVCLIP_BOX_REDACTED) &&
          !strcmp(f.dets[1].label, label));
    sei_frame_free(&f);
    free(buf);
}

static size_t build_au(const uint8_t *payload, size_t size, uint8_t *out)
{
    uint8_t nal[4096];
    size_t n = 0;
    nal[n++] = 0x06; /* SEI */
    nal[n++] = 5;    /* user data unregistered */
    size_t s = size;
    while (s >= 255) {
        nal[n++] = 0xFF;
        s -= 255;
    }
    nal[n++] = (uint8_t)s;
    int zeros = 0;
    for (size_t i = 0; i < size; i++) {
        if (zeros >= 2 && payload[i] <= 3) {
            nal[n++] = 3; /* emulation prevention */
            zeros = 0;
        }
        nal[n++] = payload[i];
        zeros = payload[i] == 0 ? zeros + 1 : 0;
    }
    nal[n++] = 0x80;
    size_t o = 0;
    const uint8_t other[] = { 0, 0, 0, 3, 0x67, 0x64, 0x00 };
    memcpy(out, other, sizeof(other));
    o += sizeof(other);
    out[o++] = (uint8_t)(n >> 24), out[o++] = (uint8_t)(n >> 16);
    out[o++] = (uint8_t)(n >> 8), out[o++] = (uint8_t)n;
    memcpy(out + o, nal, n);
    return o + n;
}

static void test_nal_scan(void)
{
    /* Zero coordinates produce 00 00 00 runs that need emulation prevention. */
    EvclipDetection in[2] = { det("car", 0, 0, 1, 1), det("truck", 0, 0, 0.5, 0.5) };
    uint8_t *buf, au[8192];
    size_t size;
    SeiFrame f;
    CHECK(sei_encode(in, NULL, 2, 0, 0, NAN, &buf, &size) == 0);
    size_t n = build_au(buf, size, au);
    CHECK(sei_find_avcc(au, n, 4, &f) == 1);
    CHECK(f.count == 2 && !strcmp(f.dets[1].label, "truck") && f.dets[1].x2 == 0.5);
    sei_frame_free(&f);
    for (size_t cut = 0; cut < n; cut++) { /* truncated access units never crash */
        int ret = sei_find_avcc(au, cut, 4, &f);
        if (ret > 0)
            sei_frame_free(&f);
    }
    CHECK(sei_find_avcc(au, 7, 4, &f) == 0); /* only the non-SEI NAL */
    CHECK(sei_find_avcc(au, n, 5, &f) == EVCLIP_ERR_INVALID);
    free(buf);
}

static void test_attach(void)
{
    AVFrame *frame = av_frame_alloc();
    EvclipDetection d = det("car", 1, 2, 3, 4);
    SeiFrame f;
    CHECK(frame != NULL);
    /* A side data copied from the source (e.g. x264's banner) is replaced, not kept. */
    AVFrameSideData *old = av_frame_new_side_data(frame, AV_FRAME_DATA_SEI_UNREGISTERED, 20);
    CHECK(old != NULL);
    memset(old->data, 0x42, 20);
    CHECK(sei_attach(frame, &d, NULL, 1, 3.25, 1, NAN) == 0);
    int count = 0;
    for (int i = 0; i < frame->nb_side_data; i++)
        count += frame->side_data[i]->type == AV_FRAME_DATA_SEI_UNREGISTERED;
    CHECK(count == 1);
    AVFrameSideData *sd = av_frame_get_side_data(frame, AV_FRAME_DATA_SEI_UNREGISTERED);
    CHECK(sd && sei_decode(sd->data, sd->size, &f) == 1);
    CHECK(f.count == 1 && f.source_index == 1 && f.source_time == 3.25);
    sei_frame_free(&f);
    av_frame_free(&frame);
}

/* Polygons: flag bit 7 and a trailing block. The bytes before the block are those of the
 * same boxes without polygon but for bit 7 (which old readers ignore, as they ignore
 * trailing bytes), so a reader of the previous format reads the same boxes. */
static void test_polygons(void)
{
    static const double xy[] = { 10, 0, 20, 10, 10, 20, 0, 10 };
    EvclipDetections *store = NULL;
    DetList list = { 0 };
    EvclipDetection in[2] = { det("ship", 0, 0, 1, 1), det("car", 1, 2, 3, 4) };
    in[0].frame_idx = in[1].frame_idx = 0;
    CHECK(evclip_detections_new(&store) == 0);
    CHECK(evclip_detections_add_polygon(store, &in[0], NULL, xy, 4) == 0);
    CHECK(evclip_detections_add(store, &in[1]) == 0);
    CHECK(detections_prepare(store) == 0 && detections_lookup(store, 0, 1, 0, 0, &list) == 2);
    uint8_t *buf, *plain;
    size_t size, plain_size;
    SeiFrame f;
    CHECK(list.count == 2 && sei_encode(list.items, NULL, 2, 1.0, 0, NAN, &buf, &size) == 0);
    CHECK(sei_decode(buf, size, &f) == 1 && f.count == 2);
    CHECK(f.nb_points[0] == 4 && f.nb_points[1] == 0 && f.points[1] == NULL);
    CHECK(f.points[0] && f.points[0][0] == 10 && f.points[0][1] == 0 &&
          f.points[0][6] == 0 && f.points[0][7] == 10);
    CHECK(f.marks[0] == 0 && f.dets[0].x2 == 20 && !strcmp(f.dets[0].label, "ship"));
    CHECK(!strcmp(f.dets[1].label, "car") && f.dets[1].x1 == 1);
    sei_frame_free(&f);
    EvclipDetection boxes[2] = { list.items[0], list.items[1] };
    boxes[0].normalized &= ~DETECTION_POLYGON;
    CHECK(sei_encode(boxes, NULL, 2, 1.0, 0, NAN, &plain, &plain_size) == 0);
    CHECK(size == plain_size + 2 + 4 * 8);
    CHECK(buf[HEADER] == (plain[HEADER] | 0x80));
    CHECK(memcmp(buf, plain, HEADER) == 0 &&
          memcmp(buf + HEADER + 1, plain + HEADER + 1, plain_size - HEADER - 1) == 0);
    CHECK(sei_decode(plain, plain_size, &f) == 1 && f.nb_points[0] == 0 && f.marks[0] == 0);
    sei_frame_free(&f);
    /* a block cut short is refused */
    CHECK(sei_decode(buf, size - 4, &f) == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "polygon block truncated") != NULL);
    free(plain);
    free(buf);
    detlist_free(&list);
    evclip_detections_free(&store);
}

/* The frame's wall time: header flags bit 0 and an f64 after the polygon block; the bytes
 * before it are those of a message without it (older readers skip it as trailing bytes). */
static void test_wall_time(void)
{
    static const double xy[8] = { 10, 0, 20, 10, 10, 20, 0, 10 };
    EvclipDetections *store = NULL;
    DetList list = { 0 };
    EvclipDetection in = det("ship", 0, 0, 1, 1);
    in.frame_idx = 0;
    CHECK(evclip_detections_new(&store) == 0);
    CHECK(evclip_detections_add_polygon(store, &in, NULL, xy, 4) == 0);
    CHECK(detections_prepare(store) == 0 && detections_lookup(store, 0, 1, 0, 0, &list) == 1);
    uint8_t *buf, *plain;
    size_t size, plain_size;
    SeiFrame f;
    CHECK(sei_encode(list.items, NULL, 1, 2.5, 3, 1774746000.25, &buf, &size) == 0);
    CHECK(sei_encode(list.items, NULL, 1, 2.5, 3, NAN, &plain, &plain_size) == 0);
    CHECK(size == plain_size + 8 && buf[17] == 1 && plain[17] == 0);
    CHECK(memcmp(buf, plain, 17) == 0 && memcmp(buf + 18, plain + 18, plain_size - 18) == 0);
    CHECK(sei_decode(buf, size, &f) == 1 && f.has_wall && f.wall_time == 1774746000.25 &&
          f.count == 1 && f.nb_points[0] == 4 && f.source_time == 2.5);
    sei_frame_free(&f);
    CHECK(sei_decode(plain, plain_size, &f) == 1 && !f.has_wall);
    sei_frame_free(&f);
    /* cut anywhere in the wall time: refused */
    for (size_t cut = 1; cut <= 8; cut++)
        CHECK(sei_decode(buf, size - cut, &f) == EVCLIP_ERR_INVALID);
    /* an empty frame carries it too */
    free(buf);
    CHECK(sei_encode(NULL, NULL, 0, 0, 0, 86400.5, &buf, &size) == 0);
    CHECK(sei_decode(buf, size, &f) == 1 && f.has_wall && f.wall_time == 86400.5);
    sei_frame_free(&f);
    free(buf);
    free(plain);
    detlist_free(&list);
    evclip_detections_free(&store);
}

int main(void)
{
    test_wall_time();
    test_marks();
    test_round_trip();
    test_polygons();
    test_nal_scan();
    test_attach();
    return test_summary();
}
