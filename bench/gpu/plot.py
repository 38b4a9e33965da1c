"""decode.png: GB/s against context, one line per batch, peers dashed.

matplotlib (Agg) when it imports; otherwise a small pure-Python plotter
writes the PNG (zlib + struct): the same lines and axes, with tick numbers
in a 3x5 pixel font and no other text (the legend is in results.json).
"""
import math
import os
import struct
import zlib

COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
          (148, 103, 189), (140, 86, 75)]


def series(results):
    """Panels of lines: {page size: [(label, batch, style, [(ctx, gbps)])]}."""
    decode = results.get("decode") or {}
    points = decode.get("points") or (decode.get("cpu_placeholder") or {}).get(
        "points") or []
    peers = results.get("peers") or {}
    panels = {}
    for page in sorted({p["page_size"] for p in points}):
        lines = []
        batches = sorted({p["batch"] for p in points if p["page_size"] == page})
        for batch in batches:
            ours = [(p["context"], p["gbps"]) for p in points
                    if p["page_size"] == page and p["batch"] == batch
                    and p.get("gbps")]
            sdpa = [(p["context"], p["gbps"]) for p in peers.get("sdpa", [])
                    if p["batch"] == batch and p.get("gbps")]
            paged = [(p["context"], p["gbps"]) for p in peers.get("paged_torch", [])
                     if p["batch"] == batch and p.get("page_size") == page
                     and p.get("gbps")]
            lines.append((f"ours b{batch}", batch, "solid", sorted(ours)))
            if sdpa:
                lines.append((f"SDPA b{batch}", batch, "dashed", sorted(sdpa)))
            if paged:
                lines.append((f"paged torch b{batch}", batch, "dotted",
                              sorted(paged)))
        panels[page] = lines
    return panels


def copy_line(results):
    copy = results.get("copy_bandwidth") or {}
    return copy.get("gbps")


def plot(results, path, title):
    """Writes path; returns how (matplotlib / fallback) and any reason."""
    panels = series(results)
    if os.environ.get("KVCACHE_BENCH_NO_MATPLOTLIB") != "1":
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except Exception as e:  # absent or broken: fall back
            reason = f"matplotlib unavailable ({type(e).__name__}: {e})"
        else:
            _plot_matplotlib(plt, panels, copy_line(results), path, title)
            return {"writer": "matplotlib", "path": os.path.basename(path)}
    else:
        reason = "KVCACHE_BENCH_NO_MATPLOTLIB=1"
    _plot_fallback(panels, copy_line(results), path)
    return {"writer": "pure-python fallback", "reason": reason,
            "path": os.path.basename(path)}


def _plot_matplotlib(plt, panels, copy_gbps, path, title):
    pages = list(panels) or [None]
    fig, axes = plt.subplots(1, len(pages), figsize=(6.5 * len(pages), 4.8),
                             squeeze=False)
    styles = {"solid": "-", "dashed": "--", "dotted": ":"}
    batches = sorted({b for lines in panels.values() for _, b, _, _ in lines})
    for ax, page in zip(axes[0], pages):
        for label, batch, style, pts in panels.get(page, []):
            if not pts:
                continue
            xs, ys = zip(*pts)
            ax.plot(xs, ys, styles[style], marker="o" if style == "solid" else None,
                    color=[c / 255 for c in COLORS[batches.index(batch) % len(COLORS)]],
                    label=label)
        if copy_gbps:
            ax.axhline(copy_gbps, color="grey", lw=1, label="copy bandwidth")
            ax.axhline(0.85 * copy_gbps, color="grey", lw=1, ls="-.",
                       label="85% of copy")
        ax.set_xscale("log", base=2)
        contexts = sorted({x for _, _, _, pts in panels.get(page, []) for x, _ in pts})
        if contexts:
            ax.set_xticks(contexts)
            ax.set_xticklabels([f"{x // 1024}k" if x % 1024 == 0 else str(x)
                                for x in contexts])
            ax.minorticks_off()
        ax.set_xlabel("context (tokens)")
        ax.set_ylabel("GB/s (K/V bytes / kernel time)")
        ax.set_title(f"page size {page}" if page else "no data")
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7, loc="best")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- the fallback -----------------------------------------------------------

FONT = {  # 3x5, rows top to bottom, 3 bits each
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111",
    "3": "111001111001111", "4": "101101111001001", "5": "111100111001111",
    "6": "111100111101111", "7": "111001010010010", "8": "111101111101111",
    "9": "111101111001111", "k": "100101110101101", ".": "000000000000010",
}


class Canvas:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = bytearray(b"\xff" * (width * height * 3))

    def dot(self, x, y, color):
        if 0 <= x < self.w and 0 <= y < self.h:
            i = (y * self.w + x) * 3
            self.px[i:i + 3] = bytes(color)

    def line(self, x0, y0, x1, y1, color, dash=None, width=1):
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err, n = dx + dy, 0
        while True:
            if not dash or (n // dash[0]) % 2 == 0 or dash[0] == 0:
                for o in range(width):
                    self.dot(x0, y0 + o, color)
            n += 1
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x, y, s, color=(0, 0, 0), scale=2):
        for ch in s:
            glyph = FONT.get(ch)
            if glyph:
                for r in range(5):
                    for c in range(3):
                        if glyph[r * 3 + c] == "1":
                            for a in range(scale):
                                for b in range(scale):
                                    self.dot(x + c * scale + a, y + r * scale + b, color)
            x += 4 * scale

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3])
                       for y in range(self.h))

        def chunk(kind, data):
            c = struct.pack(">I", len(data)) + kind + data
            return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
            f.write(chunk(b"IEND", b""))


def _nice_max(v):
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def _plot_fallback(panels, copy_gbps, path):
    pages = list(panels) or [None]
    pw, ph, ml, mb, mt, mr = 520, 380, 70, 40, 20, 30
    canvas = Canvas(pw * len(pages), ph)
    all_pts = [pt for lines in panels.values() for *_, pts in lines for pt in pts]
    ymax = _nice_max(max([y for _, y in all_pts] + [copy_gbps or 0, 1e-9]))
    xs = [x for x, _ in all_pts] or [1, 2]
    xmin, xmax = math.log2(min(xs)), math.log2(max(xs))
    if xmax - xmin < 1e-9:
        xmin, xmax = xmin - 1, xmax + 1
    batches = sorted({b for lines in panels.values() for _, b, _, _ in lines})
    for i, page in enumerate(pages):
        x0, x1, y0, y1 = i * pw + ml, (i + 1) * pw - mr, ph - mb, mt

        def X(x):
            return int(x0 + (math.log2(x) - xmin) / (xmax - xmin) * (x1 - x0))

        def Y(y):
            return int(y0 - y / ymax * (y0 - y1))
        for t in range(5):  # horizontal grid and y ticks
            yv = ymax * t / 4
            canvas.line(x0, Y(yv), x1, Y(yv), (225, 225, 225))
            label = f"{yv:.0f}" if ymax >= 10 else f"{yv:.3g}"
            canvas.text(x0 - 8 - 8 * len(label), Y(yv) - 5, label)
        for x in sorted(set(xs)):
            canvas.line(X(x), y0, X(x), y1, (235, 235, 235))
            label = f"{x // 1024}k" if x >= 1024 and x % 1024 == 0 else str(x)
            canvas.text(X(x) - 4 * len(label), y0 + 8, label)
        canvas.line(x0, y0, x1, y0, (0, 0, 0))
        canvas.line(x0, y0, x0, y1, (0, 0, 0))
        canvas.line(x1, y0, x1, y1, (0, 0, 0))
        canvas.line(x0, y1, x1, y1, (0, 0, 0))
        if copy_gbps:
            canvas.line(x0, Y(copy_gbps), x1, Y(copy_gbps), (128, 128, 128))
            canvas.line(x0, Y(0.85 * copy_gbps), x1, Y(0.85 * copy_gbps),
                        (128, 128, 128), dash=(6,))
        for _, batch, style, pts in panels.get(page, []):
            color = COLORS[batches.index(batch) % len(COLORS)]
            dash = {"solid": None, "dashed": (8,), "dotted": (2,)}[style]
            for (xa, ya), (xb, yb) in zip(pts, pts[1:]):
                canvas.line(X(xa), Y(ya), X(xb), Y(yb), color, dash=dash, width=2)
            if style == "solid":
                for x, y in pts:
                    for a in range(-2, 3):
                        canvas.line(X(x) - 2, Y(y) + a, X(x) + 2, Y(y) + a, color)
    canvas.png(path)
