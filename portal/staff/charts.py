"""Bar charts drawn on the server as SVG, so the browser renders Chinese labels with its own
fonts and no script or outside service is needed. Each chart on a page also has a table with
the same numbers (for screen readers and for copying). Colours come from a palette that keeps
3:1 contrast against white (WCAG 1.4.11) and are told apart by the legend order too.
"""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#6f3c97", "#b58840")
# A narrow drawing with large type: on a 360px phone the SVG is shown about 330px wide, so a
# 15-unit font is read at about 12px (a 640-wide drawing with 12-unit type came out at 6px).
# The stylesheet caps the width on wide screens (.chart), so the type never grows too big either.
WIDTH, HEIGHT = 400, 250
FONT = 15
LEFT, RIGHT, BOTTOM = 40, 8, 30
LEGEND_LINE = 22


def text_width(text: str, font: float = FONT) -> float:
    """Roughly how wide `text` is drawn, in viewBox units: a Chinese character is one em, other
    characters about 0.6 em (enough to keep labels from overlapping)."""
    return sum(font if ord(ch) > 0x2E80 else font * 0.6 for ch in text)


def _legend_lines(names: list[str]) -> list[list[tuple[int, str]]]:
    lines: list[list[tuple[int, str]]] = [[]]
    x: float = LEFT  # label widths are fractional
    for k, name in enumerate(names):
        width = 18 + text_width(name) + 14
        if lines[-1] and x + width > WIDTH - RIGHT:
            lines.append([])
            x = LEFT
        lines[-1].append((k, name))
        x += width
    return lines


def bar_chart(
    chart_id: str,
    title: str,
    categories: list[str],
    series: list[tuple[str, list[int]]],
    *,
    stacked: bool = False,
    label_every: int = 1,
) -> Markup:
    """An SVG bar chart: one group (or stack) of bars per category, one colour per series.

    `series`: (name, values) with one value per category. `label_every`: show at least every
    n-th category label, counted back from the last (for 30 days or 12 months); more are left
    out when the labels would otherwise overlap (the table beside each chart has every value).
    Returns inline SVG markup with a <title> naming it.
    """
    legend = _legend_lines([str(name) for name, _v in series])
    top_margin = 10 + LEGEND_LINE * len(legend)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - top_margin - BOTTOM
    TOP = top_margin  # noqa: N806 - the plot's top edge, below the legend
    totals = [sum(values[i] for _n, values in series) for i in range(len(categories))]
    if stacked:
        peak = max(totals, default=0)
    else:
        peak = max((value for _n, values in series for value in values), default=0)
    peak = peak or 1
    step = max(1, -(-peak // 4))  # about four grid lines, whole numbers
    top = step * -(-peak // step)
    slot = plot_w / max(1, len(categories))
    widest = max((text_width(str(c)) for c in categories), default=0)
    label_every = max(label_every, int(-(-(widest + 6) // slot)) if slot else 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for n in range(0, top + 1, step):
        y = TOP + plot_h - plot_h * n / top
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 5}" y="{y + 5:.1f}" text-anchor="end" font-size="{FONT}" fill="#0b0c0c">{n}</text>')
    for i, category in enumerate(categories):
        x0 = LEFT + slot * i
        if stacked:
            y = TOP + plot_h
            for k, (_name, values) in enumerate(series):
                h = plot_h * values[i] / top
                y -= h
                if h:
                    parts.append(f'<rect x="{x0 + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                                 f'fill="{PALETTE[k % len(PALETTE)]}"/>')
        else:
            width = slot * 0.8 / max(1, len(series))
            for k, (_name, values) in enumerate(series):
                h = plot_h * values[i] / top
                if h:
                    parts.append(f'<rect x="{x0 + slot * 0.1 + width * k:.1f}" y="{TOP + plot_h - h:.1f}" width="{width:.1f}" '
                                 f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"/>')
        if (len(categories) - 1 - i) % label_every == 0:  # counted back from the latest, which is always labelled
            # Centred on its bar, but kept inside the drawing at either end.
            half = text_width(str(category)) / 2
            centre = min(max(x0 + slot / 2, half + 2), WIDTH - half - 2)
            parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 19}" text-anchor="middle" font-size="{FONT}" '
                         f'fill="#0b0c0c">{escape(category)}</text>')
    for row, line in enumerate(legend):
        x: float = LEFT
        y = 6 + LEGEND_LINE * row
        for k, name in line:
            parts.append(f'<rect x="{x}" y="{y}" width="14" height="14" fill="{PALETTE[k % len(PALETTE)]}"/>')
            parts.append(f'<text x="{x + 18}" y="{y + 13}" font-size="{FONT}" fill="#0b0c0c">{escape(name)}</text>')
            x += 18 + text_width(name) + 14
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside is escaped above
