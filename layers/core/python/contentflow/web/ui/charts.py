"""Charts drawn by pygal on the server, shown as SVG images.

A chart is an `<img>` whose source is the SVG as a data: URI: the pages' policy allows images from
data:, and an SVG shown as an image runs no script and loads nothing (pygal's tooltips, which would
need one, are left out), so no chart can weaken the Content-Security-Policy. Every chart sits beside
the table of its numbers, which is what screen readers and people without images read.
"""

from __future__ import annotations

import base64

import pygal
from markupsafe import Markup
from pygal.style import Style

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#555555",
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    # Distinguishable for the common colour-vision deficiencies (Okabe-Ito).
    colors=("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"),
)


def chart(kind: str, title: str, **config) -> pygal.graph.graph.Graph:
    """A pygal chart (`kind`: Bar, StackedBar, Line, Box, XY, …) in the pages' style, without script."""
    defaults = {
        "style": STYLE,
        "width": 800,
        "height": 360,
        "js": [],
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "truncate_legend": -1,
        "x_label_rotation": 0,
    }
    return getattr(pygal, kind)(title=title, **{**defaults, **config})


def image(drawn: pygal.graph.graph.Graph, alt: str) -> Markup:
    """The chart as an `<img>`: `alt` says in words what it shows (the table beside it has the numbers)."""
    svg = drawn.render(is_unicode=True)
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return Markup('<img class="chart" src="{}" alt="{}" width="{}" height="{}">').format(
        source, alt, drawn.config.width, drawn.config.height
    )
