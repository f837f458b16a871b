/* cli_report_html.c: the review page of `evclip report`: one static HTML file with inline CSS
 * and JS; every text that comes from a file is HTML-escaped. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli_report.h"

static const char *const state_names[] = { "ok", "unsigned", "modified", "missing" };

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#222}\n"
    "header{background:#1d2733;color:#fff;padding:12px 20px}\n"
    "header h1{margin:0 0 6px;font-size:20px}\n"
    "header .sum span{margin-right:16px}\n"
    "#bar{display:flex;gap:12px;padding:10px 20px;background:#fff;border-bottom:1px solid #ddd;"
    "position:sticky;top:0;z-index:2;align-items:center}\n"
    "#grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:14px;"
    "padding:14px 20px}\n"
    ".card{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;overflow:hidden;"
    "content-visibility:auto;contain-intrinsic-size:320px 380px}\n"
    ".card[hidden]{display:none}\n"
    ".media{position:relative;aspect-ratio:16/9;background:#111;cursor:pointer}\n"
    ".media img,.media video{width:100%;height:100%;object-fit:contain;display:block}\n"
    ".media .none{color:#aaa;display:flex;height:100%;align-items:center;"
    "justify-content:center}\n"
    ".card h3{font-size:14px;margin:8px 10px 2px;overflow-wrap:anywhere}\n"
    ".meta{margin:0 10px;color:#555;font-size:12px}\n"
    ".state{margin:4px 10px;font-size:12px;padding:2px 6px;border-radius:3px;"
    "display:inline-block;overflow-wrap:anywhere;max-width:calc(100% - 32px)}\n"
    ".s-ok{background:#d8f3dc}.s-unsigned{background:#e3e8f0}.s-modified{background:#ffd6d6}"
    ".s-missing{background:#ffe5c2}\n"
    ".labels{list-style:none;margin:4px 10px;padding:0;display:flex;flex-wrap:wrap;gap:6px;"
    "font-size:12px}\n"
    ".labels i{display:inline-block;width:10px;height:10px;margin-right:3px;"
    "border-radius:2px}\n"
    "svg.tl{display:block;width:calc(100% - 20px);height:28px;margin:6px 10px 10px;"
    "background:#f0f0f0;cursor:crosshair}\n"
    "#failed{margin:8px 20px;background:#fff3f3;border:1px solid #f3c0c0;padding:8px 12px}\n"
    "#failed li{overflow-wrap:anywhere}\n";

static const char js[] =
    "(function(){\n"
    "var grid=document.getElementById('grid');\n"
    "var cards=[].slice.call(grid.querySelectorAll('.card'));\n"
    "var lab=document.getElementById('label'),st=document.getElementById('state');\n"
    "var so=document.getElementById('sort'),shown=document.getElementById('shown');\n"
    "cards.forEach(function(c){c.labelList=[].map.call(c.querySelectorAll('[data-label]'),"
    "function(e){return e.getAttribute('data-label');});});\n"
    "function apply(){var n=0;cards.forEach(function(c){var ok=(!lab.value||"
    "c.labelList.indexOf(lab.value)>=0)&&(!st.value||c.getAttribute('data-state')===st.value);"
    "c.hidden=!ok;if(ok)n++;});shown.textContent=n;}\n"
    "function num(c,k){var v=parseFloat(c.getAttribute('data-'+k));return isNaN(v)?0:v;}\n"
    "function sort(){var k=so.value;cards.sort(function(a,b){if(k==='time'){"
    "var s=a.getAttribute('data-source').localeCompare(b.getAttribute('data-source'));"
    "return s||num(a,'start')-num(b,'start')||num(a,'order')-num(b,'order');}"
    "return num(b,k)-num(a,k)||num(a,'order')-num(b,'order');});"
    "cards.forEach(function(c){grid.appendChild(c);});}\n"
    "function play(c,t){var v=c.querySelector('video');if(!v){v=document.createElement('video');"
    "v.controls=true;v.preload='auto';"
    "v.src=c.getAttribute('data-href')+(t!==null?'#t='+t.toFixed(3):'');t=null;"
    "var m=c.querySelector('.media');m.textContent='';m.appendChild(v);}\n"
    "if(t!==null)v.currentTime=t;\n"
    "var p=v.play();if(p&&p.catch)p.catch(function(){});}\n"
    "grid.addEventListener('click',function(e){var c=e.target.closest('.card');"
    "if(!c||!c.getAttribute('data-href'))return;var tl=e.target.closest('svg.tl');"
    "if(tl){var r=tl.getBoundingClientRect();var f=(e.clientX-r.left)/r.width;"
    "play(c,Math.max(0,Math.min(1,f))*num(c,'duration'));return;}"
    "if(e.target.closest('video'))return;if(e.target.closest('.media'))play(c,null);});\n"
    "lab.addEventListener('change',apply);st.addEventListener('change',apply);"
    "so.addEventListener('change',sort);apply();\n"
    "window.evclipReview={apply:apply,sort:sort,play:play};\n"
    "})();\n";

void report_escape(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t')
                fputs("&#xFFFD;", f);
            else
                fputc(*p, f);
        }
    }
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Boxes per frame over the clip: one stacked column per timeline bin, each label in its box
 * colour; a <title> per label gives its peak count. */
static void write_timeline(FILE *f, const ReportClip *c)
{
    fprintf(f, "<svg class=\"tl\" viewBox=\"0 0 %d 20\" preserveAspectRatio=\"none\" "
            "role=\"img\" aria-label=\"boxes per frame\">", REPORT_BINS);
    int base[REPORT_BINS] = { 0 };
    double scale = c->max_bin > 0 ? 20.0 / c->max_bin : 0;
    for (int k = 0; k < c->nb_labels; k++) {
        const ReportLabel *l = &c->labels[k];
        fprintf(f, "<g fill=\"#%02x%02x%02x\"><title>", l->rgb[0], l->rgb[1], l->rgb[2]);
        report_escape(f, l->label);
        fputs("</title>", f);
        for (int b = 0; b < REPORT_BINS; b++) {
            if (!l->bins[b])
                continue;
            double h = l->bins[b] * scale, y = 20 - base[b] * scale - h;
            int run = 1; /* equal neighbours in one rect */
            while (b + run < REPORT_BINS && l->bins[b + run] == l->bins[b] &&
                   base[b + run] == base[b])
                run++;
            fprintf(f, "<rect x=\"%d\" y=\"%.2f\" width=\"%d\" height=\"%.2f\"/>", b, y, run,
                    h);
            for (int i = 0; i < run; i++)
                base[b + i] += l->bins[b];
            b += run - 1;
        }
        fputs("</g>", f);
    }
    fputs("</svg>\n", f);
}

static void write_window(FILE *f, const ReportClip *c)
{
    report_escape(f, c->source[0] ? c->source : "(no manifest)");
    if (!isnan(c->start) && c->source[0])
        fprintf(f, " &middot; %.2f&ndash;%.2f s", c->start, c->end);
    if (c->nb_sources > 1)
        fprintf(f, " (%d files)", c->nb_sources);
    if (!isnan(c->duration))
        fprintf(f, " &middot; %.1f s", c->duration);
    fprintf(f, " &middot; %lld boxes", (long long)c->boxes);
}

static void write_card(FILE *f, const ReportClip *c, int order)
{
    fprintf(f, "<article class=\"card\" data-order=\"%d\" data-state=\"%s\" data-duration=\""
            "%.3f\" data-start=\"%.3f\" data-boxes=\"%lld\" data-source=\"", order,
            state_names[c->state], isnan(c->duration) ? 0 : c->duration,
            isnan(c->start) ? 0 : c->start, (long long)c->boxes);
    report_escape(f, c->source);
    fputs("\" data-href=\"", f);
    report_escape(f, c->href ? c->href : "");
    fputs("\">\n<div class=\"media\" title=\"play\">", f);
    if (c->poster_href) {
        fputs("<img loading=\"lazy\" decoding=\"async\" alt=\"poster\" src=\"", f);
        report_escape(f, c->poster_href);
        fputs("\">", f);
    } else {
        fputs("<div class=\"none\">no poster</div>", f);
    }
    fputs("</div>\n<h3 title=\"", f);
    report_escape(f, c->path);
    fputs("\">", f);
    report_escape(f, base_name(c->path));
    fputs("</h3>\n<p class=\"meta\">", f);
    write_window(f, c);
    fprintf(f, "</p>\n<p class=\"state s-%s\" title=\"", state_names[c->state]);
    report_escape(f, c->reason);
    fprintf(f, "\">%s: ", state_names[c->state]);
    report_escape(f, c->reason);
    fputs("</p>\n<ul class=\"labels\">", f);
    for (int k = 0; k < c->nb_labels; k++) {
        const ReportLabel *l = &c->labels[k];
        fputs("<li data-label=\"", f);
        report_escape(f, l->label);
        fprintf(f, "\"><i style=\"background:#%02x%02x%02x\"></i>", l->rgb[0], l->rgb[1],
                l->rgb[2]);
        report_escape(f, l->label);
        fprintf(f, " <b>%lld</b></li>", (long long)l->boxes);
    }
    fputs("</ul>\n", f);
    write_timeline(f, c);
    fputs("</article>\n", f);
}

/* Box counts per label over every clip, in order of first appearance. */
typedef struct Total {
    const char *label;
    long long boxes;
} Total;

static int totals(const Report *r, Total *t, int max)
{
    int n = 0;
    for (int i = 0; i < r->nb_clips; i++)
        for (int k = 0; k < r->clips[i].nb_labels; k++) {
            const ReportLabel *l = &r->clips[i].labels[k];
            int j = 0;
            while (j < n && strcmp(t[j].label, l->label))
                j++;
            if (j == n && n == max)
                continue;
            if (j == n)
                t[n++] = (Total){ l->label, 0 };
            t[j].boxes += l->boxes;
        }
    return n;
}

static void write_summary(FILE *f, const Report *r, const Total *t, int nt)
{
    double seconds = 0;
    int states[4] = { 0 };
    for (int i = 0; i < r->nb_clips; i++) {
        seconds += isnan(r->clips[i].duration) ? 0 : r->clips[i].duration;
        states[r->clips[i].state]++;
    }
    fputs("<header><h1>", f);
    report_escape(f, r->title);
    fprintf(f, "</h1>\n<div class=\"sum\"><span id=\"clips\">%d clips</span>"
            "<span>%.1f s total</span>", r->nb_clips, seconds);
    for (int s = 0; s < 4; s++)
        fprintf(f, "<span>%s: %d</span>", state_names[s], states[s]);
    fprintf(f, "<span id=\"failed-count\">%d failed jobs</span></div>\n<div class=\"sum\">",
            r->nb_failures);
    for (int k = 0; k < nt; k++) {
        fputs("<span>", f);
        report_escape(f, t[k].label);
        fprintf(f, ": %lld boxes</span>", t[k].boxes);
    }
    fputs("</div></header>\n", f);
    if (r->nb_failures) {
        fputs("<section id=\"failed\"><b>Failed jobs</b><ul>", f);
        for (int i = 0; i < r->nb_failures; i++) {
            const ReportFailure *x = &r->failures[i];
            fprintf(f, "<li>line %d: ", x->line);
            report_escape(f, x->output[0] ? x->output : "(no output)");
            fputs(" &mdash; ", f);
            report_escape(f, x->status);
            fputs(": ", f);
            report_escape(f, x->error);
            fputs("</li>", f);
        }
        fputs("</ul></section>\n", f);
    }
}

static void write_bar(FILE *f, const Total *t, int nt)
{
    fputs("<div id=\"bar\"><label>Label <select id=\"label\"><option value=\"\">all</option>",
          f);
    for (int k = 0; k < nt; k++) {
        fputs("<option value=\"", f);
        report_escape(f, t[k].label);
        fputs("\">", f);
        report_escape(f, t[k].label);
        fputs("</option>", f);
    }
    fputs("</select></label>\n<label>Integrity <select id=\"state\"><option value=\"\">all"
          "</option>", f);
    for (int s = 0; s < 4; s++)
        fprintf(f, "<option value=\"%s\">%s</option>", state_names[s], state_names[s]);
    fputs("</select></label>\n<label>Sort <select id=\"sort\"><option value=\"time\">time"
          "</option><option value=\"duration\">duration</option><option value=\"boxes\">"
          "boxes</option></select></label>\n<span><b id=\"shown\">0</b> shown</span></div>\n",
          f);
}

int report_write_html(FILE *f, const Report *r)
{
    static Total t[4096];
    int nt = totals(r, t, 4096);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n"
          "<title>", f);
    report_escape(f, r->title);
    fprintf(f, "</title>\n<style>\n%s</style></head><body>\n", css);
    write_summary(f, r, t, nt);
    write_bar(f, t, nt);
    fputs("<main id=\"grid\">\n", f);
    for (int i = 0; i < r->nb_clips; i++)
        write_card(f, &r->clips[i], i);
    fprintf(f, "</main>\n<script>\n%s</script>\n</body></html>\n", js);
    return ferror(f) ? -1 : 0;
}
