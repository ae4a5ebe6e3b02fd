"""Small SVG charts for the PDF reports (WeasyPrint draws inline SVG; no JavaScript)."""

from __future__ import annotations

from xml.sax.saxutils import escape


def line_svg(points: list[tuple[str, float | None]], *, width=480, height=140, unit="") -> str:
    """A labelled line chart of (label, value); missing values leave a gap."""
    values = [v for _, v in points if v is not None]
    if not values:
        return ""
    low, high = min(values + [0.0]), max(values)
    high = high if high > low else low + 1
    left, right, top, bottom = 40, 10, 10, 24
    step = (width - left - right) / max(1, len(points) - 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-size="10">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        'stroke="#adb5bd"/>',
        f'<text x="2" y="{y(high) + 4:.1f}">{high:g}{escape(unit)}</text>',
        f'<text x="2" y="{y(low) + 4:.1f}">{low:g}{escape(unit)}</text>',
    ]
    segment: list[str] = []
    for i, (label, value) in enumerate(points):
        x = left + i * step
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{escape(label)}</text>'
        )
        if value is None:
            if len(segment) > 1:
                parts.append(_polyline(segment))
            segment = []
            continue
        segment.append(f"{x:.1f},{y(value):.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y(value):.1f}" r="2.5" fill="#0d6efd"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y(value) - 5:.1f}" text-anchor="middle">{value:g}</text>'
        )
    if len(segment) > 1:
        parts.append(_polyline(segment))
    parts.append("</svg>")
    return "".join(parts)


def _polyline(points: list[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="#0d6efd" stroke-width="2"/>'
