/* reader_quick.h: what the fast path's two parsers share (C++ only, internal): a detection
 * object's fields as read, the quick number and line checks, and the hand scanner of plain
 * native and grouped lines (reader_quick.cpp) that runs before simdjson (reader_fast.cpp). */
#ifndef EVCLIP_SRC_READER_QUICK_H
#define EVCLIP_SRC_READER_QUICK_H

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace evclip_fast {

const int MAX_ITEMS = 4096; /* detections of a line; larger lines go to the full reader */

/* One JSON number as jansson would see it: an integer token (no '.', 'e', 'E') or a real. */
struct Number {
    bool integer;
    int64_t i;
    double r;
    double value() const { return integer ? (double)i : r; }
};

/* What says which of an Item's values were read (presence, nulls) and the few values read
 * without such a flag: all an Item needs reset to be read into again (Item::reset()). */
struct ItemHead {
    bool has_bbox = false, has_box = false, has_label = false, has_name = false;
    bool has_class = false, has_score = false, has_conf = false, has_track = false;
    bool has_color = false, has_idx = false, has_frame = false, has_ts = false;
    bool has_norm = false, unknown = false;
    bool null_name = false, null_class = false, null_score = false, null_conf = false;
    bool null_track = false, null_color = false, null_idx = false, null_frame = false;
    bool null_ts = false, null_norm = false, has_poly = false;
    int color_kind = 0; /* 1: string (color_text), 2: array (color) */
    size_t poly_off = 0, poly_n = 0; /* points in line_points */
    size_t extra_off = 0, extra_len = 0; /* compact "extra" JSON in line_extras (len 0: none) */
};

/* A detection object's fields, as read: each value is meaningful only when its flag in the
 * head says it was read. */
struct Item : ItemHead {
    double bbox[4], box[4];
    std::string_view label, name;
    Number cls, score, conf, track, idx, frame, ts;
    bool norm = false;
    std::string_view color_text;
    uint8_t color[3];

    /* As a new Item, for what a reader can see: the head only (the values stay). */
    void reset() { static_cast<ItemHead &>(*this) = ItemHead(); }
};

/* The objects of a list (a group's detections, an Ultralytics line's rows), kept from line to
 * line: an object added is reset(), not constructed. */
class ItemList {
  public:
    void clear() { n_ = 0; }
    Item *add()
    {
        if (n_ == items_.size())
            items_.emplace_back();
        Item *it = &items_[n_++];
        it->reset();
        return it;
    }
    size_t size() const { return n_; }
    const Item *begin() const { return items_.data(); }
    const Item *end() const { return items_.data() + n_; }

  private:
    std::vector<Item> items_;
    size_t n_ = 0;
};

/* The common shapes of a number token (-?int of at most 18 digits, or -?int.frac of any
 * length, then only whitespace) into *n, rounded exactly as strtod() (jansson) rounds them;
 * false for anything else (exponents, ...: simdjson's parser decides). */
bool quick_number(std::string_view raw, Number *n);

/* What a quick scan of a line found (plain_line()). */
struct LineBytes {
    bool escapes; /* a backslash */
    bool high;    /* a byte >= 0x80 (UTF-8, unchecked) */
};

/* False for a line the fast path leaves to jansson: empty, or holding a control byte (invalid
 * inside strings; tabs and CRs are rare outside them). Trailing CRs (CRLF files) are cut off
 * *len. */
bool plain_line(const char *text, size_t *len, LineBytes *bytes);

/* The shape of the last object the hand scanner read whole (a native line, a group's
 * detection, an Ultralytics row): its bytes around the values (literal i before value i,
 * literal n after the last) and the values' keys. An object with the same bytes there is read
 * value by value, without scanning its keys. */
struct Template {
    static const size_t BYTES = 240;
    int n = 0;          /* values; 0: none recorded */
    uint8_t key[8];     /* the scanner's key of each value */
    uint16_t off[9], len[9];
    char bytes[BYTES + 16]; /* 16 more: read 16 at a time */
};

/* Bytes that must be readable after a line handed to the hand scanner. */
const size_t QUICK_PADDING = 16;

/*
 * The hand scanner: a line (its CRs, then spaces, at the end cut off) with no control byte
 * and no backslash in its strings, whose only keys are the common ones (bbox, label, score,
 * track_id, frame_idx, ts, normalized; grouped: frame_idx, ts, normalized, detections; an
 * Ultralytics array of rows: name, class, confidence, box, track_id) read into the Items that
 * the simdjson path would give for it; *high set when a string holds a byte >= 0x80 (the
 * caller then checks the line's UTF-8). False, with anything written meaningless, for any
 * other line (other keys, a repeated key, nested objects, exponents, integers of more than 18
 * digits, control bytes, errors): simdjson reads it then. QUICK_PADDING bytes after the line
 * must be readable (never interpreted). quick_native() tries the line as *t first, and
 * records in *t the shape of a line it read otherwise; quick_group() and quick_rows() do so
 * for each object of their list (a detection, a row), and quick_group() for the frame
 * object around it in *frame_t (its "detections" a value of the shape).
 */
bool quick_native(const char *text, size_t len, Item *it, bool *high, Template *t);
bool quick_group(const char *text, size_t len, Item *frame, ItemList *items, bool *high,
                 Template *frame_t, Template *t);
bool quick_rows(const char *text, size_t len, ItemList *items, bool *high, Template *t);

} /* namespace evclip_fast */

#endif /* EVCLIP_SRC_READER_QUICK_H */
