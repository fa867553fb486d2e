"""Bar charts drawn on the server as SVG, so the browser renders Chinese labels with its own
fonts and no script or outside service is needed. Each chart on a page also has a table with
the same numbers (for screen readers and for copying). Colours come from a palette that keeps
3:1 contrast against white (WCAG 1.4.11) and are told apart by the legend order too.
"""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#6f3c97", "#b58840")
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 34, 48


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

    `series`: (name, values) with one value per category. `label_every`: show every n-th
    category label, counted back from the last (for 30 days or 12 months). Returns inline SVG markup with a <title> naming it.
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(values[i] for _n, values in series) for i in range(len(categories))]
    if stacked:
        peak = max(totals, default=0)
    else:
        peak = max((value for _n, values in series for value in values), default=0)
    peak = peak or 1
    step = max(1, -(-peak // 4))  # about four grid lines, whole numbers
    top = step * -(-peak // step)
    slot = plot_w / max(1, len(categories))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for n in range(0, top + 1, step):
        y = TOP + plot_h - plot_h * n / top
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="#0b0c0c">{n}</text>')
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
            parts.append(f'<text x="{x0 + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="12" '
                         f'fill="#0b0c0c">{escape(category)}</text>')
    x = LEFT
    for k, (name, _values) in enumerate(series):
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 16}" y="19" font-size="12" fill="#0b0c0c">{escape(name)}</text>')
        x += 24 + 13 * len(str(name))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside is escaped above
