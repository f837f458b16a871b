/* reader_fast.cpp: the fast path of native, grouped and Ultralytics JSON lines (C API of
 * reader_fast.h): the hand scanner (reader_quick.cpp) first, then simdjson On-Demand with the
 * value readers of reader_fast_values.cpp, the detections checked and stored whole; anything
 * it is not sure of is left to the jansson reader (reader.c). */
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

extern "C" {
#include "src/color.h"
#include "src/detections.h"
#include "src/reader.h"
#include "src/reader_fast.h"
}
#include "src/reader_fast_values.h"

using namespace evclip_fast;
using std::string_view;

namespace {

/* A detection ready to store; `label` is kept here for "class_N" labels. */
struct Pending {
    EvclipDetection det;
    size_t label_len;
    size_t poly_off, poly_n; /* polygon points in line_points (poly_n 0: none) */
    size_t extra_off, extra_len; /* its extra JSON text in line_extras (extra_len 0: none) */
    char label[32];
    bool own_label;
};

/* The frame keys of a grouped line, or of an Ultralytics array line. */
struct FrameKeys {
    int64_t frame_idx;
    double ts;
};

/* integral(), an integer token inline (frame_idx and track_id: two a line). */
__attribute__((always_inline)) inline bool integer_of(const Number &n, int64_t *out)
{
    if (n.integer) {
        *out = n.i;
        return true;
    }
    return integral(n, out);
}

/* frame_idx (or Ultralytics' "frame") and ts, as reader.c's read_keys(). */
__attribute__((always_inline)) inline void item_keys(const Item &it, bool ultralytics_frame,
                                                    EvclipDetection *det)
{
    det->frame_idx = EVCLIP_NONE;
    det->ts = EVCLIP_NONE;
    bool has_idx = it.has_idx, null_idx = it.null_idx;
    Number idx = it.idx;
    if (!has_idx && ultralytics_frame && it.has_frame) {
        has_idx = true;
        null_idx = it.null_frame;
        idx = it.frame;
    }
    if (has_idx && !null_idx && (!integer_of(idx, &det->frame_idx) || det->frame_idx < 0))
        throw Defer();
    if (it.has_ts && !it.null_ts) {
        det->ts = it.ts.value();
        if (!(det->ts >= 0) || !std::isfinite(det->ts))
            throw Defer();
    }
}

__attribute__((always_inline)) inline void item_score_track(const Item &it, bool row,
                                                           EvclipDetection *det)
{
    bool has = row ? it.has_conf : it.has_score, is_null = row ? it.null_conf : it.null_score;
    det->score = has && !is_null ? (row ? it.conf : it.score).value() : EVCLIP_NONE;
    det->track_id = EVCLIP_NONE;
    if (it.has_track && !it.null_track) {
        if (!integer_of(it.track, &det->track_id))
            throw Defer();
        if (det->track_id < 0)
            det->track_id = EVCLIP_NONE;
    }
    det->has_color = 0;
    std::memset(det->color, 0, sizeof(det->color));
    if (it.color_kind == 1) {
        char text[64];
        if (it.color_text.size() >= sizeof(text))
            throw Defer();
        std::memcpy(text, it.color_text.data(), it.color_text.size());
        text[it.color_text.size()] = '\0';
        if (color_parse(text, det->color) < 0)
            throw Defer();
        det->has_color = 1;
    } else if (it.color_kind == 2) {
        std::memcpy(det->color, it.color, 3);
        det->has_color = 1;
    }
}

/* One detection object's fields, read, as reader.c's read_item(); `frame` NULL when it must
 * carry its keys. Inlined (with the two above) into each caller: its format is then known. */
__attribute__((always_inline)) inline void finish_item(const Item &it, int format,
                                                      bool row_if_box, const FrameKeys *frame,
                                                      int normalized, Pending *p)
{
    bool row = format == READER_ULTRALYTICS || (row_if_box && it.has_box);
    EvclipDetection *det = &p->det; /* every field written below (no zeroing first) */
    p->own_label = false;
    p->poly_n = 0; /* rows have no polygon (the full reader ignores the key there) */
    p->extra_off = it.extra_off;
    p->extra_len = it.extra_len;
    if (row) {
        if (!it.has_box)
            throw Defer();
        std::memcpy(&det->x1, it.box, sizeof(it.box));
        if (it.has_name && !it.null_name) {
            det->label = it.name.data();
            p->label_len = it.name.size();
        } else if (it.has_class && !it.null_class) {
            int64_t id;
            if (!integral(it.cls, &id))
                throw Defer();
            p->label_len = (size_t)std::snprintf(p->label, sizeof(p->label), "class_%lld",
                                                 (long long)id);
            p->own_label = true;
        } else {
            throw Defer();
        }
    } else {
        /* Unknown keys, and the Ultralytics-only ones (box, name, class, confidence) that are
         * unknown in a native object, are warned about by the full reader. */
        if (it.unknown || it.has_box || it.has_name || it.has_class || it.has_conf ||
            (!it.has_bbox && !it.has_poly) || !it.has_label)
            throw Defer();
        if (it.has_bbox) { /* with a polygon, replaced by its bounds when stored */
            det->x1 = it.bbox[0];
            det->y1 = it.bbox[1];
            det->x2 = it.bbox[2];
            det->y2 = it.bbox[3];
        } else {
            det->x1 = det->y1 = det->x2 = det->y2 = 0;
        }
        p->poly_off = it.poly_off;
        p->poly_n = it.has_poly ? it.poly_n : 0;
        det->label = it.label.data();
        p->label_len = it.label.size();
    }
    item_score_track(it, row, det);
    item_keys(it, format == READER_ULTRALYTICS, det);
    if (frame && det->frame_idx < 0 && det->ts < 0) {
        det->frame_idx = frame->frame_idx;
        det->ts = frame->ts;
    }
    det->normalized = it.has_norm && !it.null_norm ? it.norm : normalized;
}

/* A detection without polygon or extra stored when storable: 1, 0 (nothing added) or NOMEM. */
inline int store_plain(EvclipDetections *d, Pending *p)
{
    if (p->own_label)
        p->det.label = p->label;
    return detections_add_if_storable(d, &p->det, p->label_len);
}

void read_item(od::value v, int format, bool row_if_box, const FrameKeys *frame,
               int normalized, Pending *p)
{
    finish_item(read_fields(need(v.get_object())), format, row_if_box, frame, normalized, p);
}

} /* namespace */

static int fast_reader_store(FastReader *f, EvclipDetections *d);

struct FastReader {
    od::parser parser;
    char *copy = nullptr;  /* padded copy of a line near the end of its buffer */
    size_t copy_cap = 0;
    Pending *items = nullptr;
    int nb_items = 0, items_cap = 0;
    ItemList quick_items; /* a grouped or Ultralytics line's (quick_group/rows) */
    /* The shapes (reader_quick.h) of the last native line, Ultralytics row, group's
     * detection and group's frame. */
    Template shape, row_shape, group_shape, frame_shape;

    Pending *next_item()
    {
        if (nb_items == MAX_ITEMS)
            throw Defer();
        if (nb_items == items_cap) {
            int cap = items_cap ? items_cap * 2 : 16;
            void *p = std::realloc(items, (size_t)cap * sizeof(*items));
            if (!p)
                throw std::bad_alloc();
            items = static_cast<Pending *>(p);
            items_cap = cap;
        }
        return &items[nb_items++];
    }

    void read_array(od::array arr, int format, bool row_if_box, const FrameKeys *frame,
                    int normalized)
    {
        for (auto e : arr)
            read_item(need(std::move(e)), format, row_if_box, frame, normalized, next_item());
    }

    /* {"frame_idx", "ts", "normalized", "detections": [...]}; other keys are ignored. */
    void read_group(od::object obj, int normalized)
    {
        Keys keys;
        Item frame_item;
        bool has_dets = false;
        for (auto field : obj) {
            od::field f = need(std::move(field));
            KeyId k = keys.add(key_text(f));
            if (k == K_DETECTIONS) {
                has_dets = true;
                /* The frame's keys may come later: read_group() fills them in after. */
                read_array(need(f.value().get_array()), READER_GROUPED, true, nullptr, -1);
            } else if (k == K_FRAME_IDX || k == K_TS || k == K_NORM) {
                read_field(k, f.value(), &frame_item);
            } else {
                validate(f.value(), 1);
            }
        }
        if (!has_dets)
            throw Defer();
        finish_group(frame_item, normalized);
    }

    /* A group's frame keys (one of them needed) and its "normalized" (else `normalized`),
     * for its detections without their own. */
    static FrameKeys group_keys(const Item &frame_item, int *normalized)
    {
        EvclipDetection keys_det{};
        item_keys(frame_item, false, &keys_det);
        if (keys_det.frame_idx < 0 && keys_det.ts < 0)
            throw Defer();
        if (frame_item.has_norm && !frame_item.null_norm)
            *normalized = frame_item.norm;
        return FrameKeys{ keys_det.frame_idx, keys_det.ts };
    }

    /* After a group's detections: its frame keys, for those without their own. */
    void finish_group(const Item &frame_item, int normalized)
    {
        FrameKeys keys = group_keys(frame_item, &normalized);
        for (int i = 0; i < nb_items; i++)
            inherit(&items[i], keys, normalized);
    }

    /* Stores the list the hand scanner read, each detection as it is finished: all or none
     * (one that is not storable as read gives the line back to the full reader, which says
     * why). Returns 1, 0 or NOMEM. */
    template <int Format>
    int store_list(EvclipDetections *d, const FrameKeys *frame, int normalized)
    {
        const int format = Format;
        size_t first = detections_count(d);
        try {
            for (const Item &it : quick_items) {
                Pending p;
                finish_item(it, format, true, frame, normalized, &p);
                int ret = store_plain(d, &p);
                if (ret <= 0) {
                    detections_drop(d, first);
                    return ret;
                }
            }
        } catch (const Defer &) {
            detections_drop(d, first);
            throw;
        }
        return 1;
    }

    /* A line the hand scanner reads (reader_quick.cpp; QUICK_PADDING bytes readable after
     * it) into *d: 1 stored, 0 for the full reader, NOMEM; -1 leaves it to read_line(). */
    int read_quick(EvclipDetections *d, const char *text, size_t len, int format,
                   int normalized, int64_t ordinal)
    {
        bool high = false;
        if (format == READER_NATIVE) {
            Item it;
            if (!quick_native(text, len, &it, &high, &shape) || !utf8(text, len, high))
                return -1;
            nb_items = 0;
            finish_item(it, format, false, nullptr, normalized, next_item());
            return fast_reader_store(this, d);
        }
        if (format == READER_ULTRALYTICS) {
            if (!quick_rows(text, len, &quick_items, &high, &row_shape) || !utf8(text, len, high))
                return -1;
            FrameKeys frame = { ordinal, EVCLIP_NONE };
            return store_list<READER_ULTRALYTICS>(d, &frame, normalized);
        }
        Item frame_item;
        if (format != READER_GROUPED ||
            !quick_group(text, len, &frame_item, &quick_items, &high, &frame_shape,
                         &group_shape) ||
            !utf8(text, len, high))
            return -1;
        FrameKeys frame = group_keys(frame_item, &normalized);
        return store_list<READER_GROUPED>(d, &frame, normalized);
    }

    /* The line is valid UTF-8 (checked only when it has a byte >= 0x80). */
    static bool utf8(const char *text, size_t len, bool high)
    {
        return !high || simdjson::validate_utf8(text, len);
    }

    /* text, or its copy with FAST_READER_PADDING bytes after it when fewer than `need` are
     * readable after it. NULL when out of memory. */
    const char *padded(const char *text, size_t len, size_t *avail, size_t need)
    {
        if (*avail >= len + need)
            return text;
        if (copy_cap < len + FAST_READER_PADDING) {
            char *p = static_cast<char *>(std::realloc(copy, len + FAST_READER_PADDING));
            if (!p)
                return nullptr;
            copy = p;
            copy_cap = len + FAST_READER_PADDING;
        }
        std::memcpy(copy, text, len);
        std::memset(copy + len, ' ', FAST_READER_PADDING);
        *avail = copy_cap;
        return copy;
    }

    int read_line(const char *text, size_t len, size_t cap, int format, int normalized,
                  int64_t ordinal)
    {
        od::document doc;
        if (parser.iterate(text, len, cap).get(doc))
            throw Defer();
        od::json_type type = need(doc.type());
        if (format == READER_GROUPED) {
            if (type != od::json_type::object)
                throw Defer();
            read_group(need(doc.get_object()), normalized);
        } else if (format == READER_ULTRALYTICS && type == od::json_type::array) {
            FrameKeys frame = { ordinal, EVCLIP_NONE };
            read_array(need(doc.get_array()), format, false, &frame, normalized);
        } else if (type == od::json_type::object) {
            od::value root = need(doc.get_value());
            read_item(root, format, false, nullptr, normalized, next_item());
        } else {
            throw Defer();
        }
        const char *rest;
        if (!doc.current_location().get(rest))
            throw Defer(); /* something after the value */
        return 1;
    }

    static void inherit(Pending *, const FrameKeys &, int);
};

/* Grouped items were read before their frame's keys: fill them in now (read_item() with a
 * frame), re-checking what depends on them. normalized -1 marked "take the frame's". */
void FastReader::inherit(Pending *p, const FrameKeys &frame, int normalized)
{
    EvclipDetection *det = &p->det;
    if (det->frame_idx < 0 && det->ts < 0) {
        det->frame_idx = frame.frame_idx;
        det->ts = frame.ts;
    }
    if (det->normalized < 0)
        det->normalized = normalized;
}

extern "C" FastReader *fast_reader_new(void)
{
    return new (std::nothrow) FastReader();
}

extern "C" void fast_reader_free(FastReader **f)
{
    if (!f || !*f)
        return;
    std::free((*f)->copy);
    std::free((*f)->items);
    delete *f;
    *f = nullptr;
}

extern "C" int fast_reader_line(FastReader *f, EvclipDetections *d, const char *text,
                                size_t len, size_t avail, int format, int normalized,
                                int64_t ordinal)
{
    static_assert(QUICK_PADDING <= FAST_READER_PADDING, "one copy pads for both parsers");
    try {
        /* The hand scanner first: it checks the bytes of the strings itself. Its items have
         * no polygon and no extra: the line state below is simdjson's only (thread_local:
         * not touched per line when not needed). */
        text = f->padded(text, len, &avail, QUICK_PADDING);
        if (!text)
            return EVCLIP_ERR_NOMEM;
        int quick = f->read_quick(d, text, len, format, normalized, ordinal);
        if (quick >= 0)
            return quick;
        LineBytes bytes;
        if (!plain_line(text, &len, &bytes))
            return 0;
        f->nb_items = 0;
        line_escapes = bytes.escapes;
        line_points.clear();
        line_extras.clear();
        text = f->padded(text, len, &avail, FAST_READER_PADDING);
        if (!text)
            return EVCLIP_ERR_NOMEM;
        line_end = text + len;
        f->read_line(text, len, avail, format, normalized, ordinal);
    } catch (const Defer &) {
        return 0;
    } catch (const std::bad_alloc &) {
        return EVCLIP_ERR_NOMEM;
    }
    return fast_reader_store(f, d);
}

/* Stores the detections of the line read (f->items). Returns 1, 0 (left to jansson) or
 * NOMEM. */
static int fast_reader_store(FastReader *f, EvclipDetections *d)
{
    /* All or nothing: a nonsense box or a detection without keys is the full reader's to
     * report (skip notes, messages). One plain detection: checked as it is stored. */
    if (f->nb_items == 1 && f->items[0].poly_n == 0 && !f->items[0].extra_len)
        return store_plain(d, &f->items[0]);
    for (int i = 0; i < f->nb_items; i++) {
        Pending *p = &f->items[i];
        if (p->own_label)
            p->det.label = p->label;
        if (p->poly_n > 0 && (detections_polygon_problem(&line_points[p->poly_off],
                                                         (int)p->poly_n) ||
                              !detections_polygon_box(&p->det, &line_points[p->poly_off],
                                                      (int)p->poly_n)))
            return 0;
        if (!detections_storable(&p->det))
            return 0;
    }
    for (int i = 0; i < f->nb_items; i++) {
        Pending *p = &f->items[i];
        const char *extra = p->extra_len ? &line_extras[p->extra_off] : nullptr;
        int ret = p->poly_n > 0 ?
            detections_add_parsed_polygon(d, &p->det, p->label_len, &line_points[p->poly_off],
                                          (int)p->poly_n, extra) :
            detections_add_parsed(d, &p->det, p->label_len, extra);
        if (ret < 0)
            return ret;
    }
    return 1;
}
