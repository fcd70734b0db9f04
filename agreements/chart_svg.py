"""The charts' pictures: pygal's line chart in the house style (``line``), drawn with less of
pygal's generic work (``Line``). What is drawn, and from which numbers, is ``charts``'.
"""

from __future__ import annotations

import functools

import pygal
from pygal.adapters import decimal_to_float
from pygal.config import SerieConfig
from pygal.serie import Serie
from pygal.style import Style
from pygal.svg import Svg
from pygal.util import ident, merge

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490"),
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    stroke_width="2.5",
)


# A series' options and their defaults, read once: pygal lists a series' options (``dir``)
# again for every option of every series it draws, a third of a picture's drawing time.
_SERIE_DEFAULTS = dict(SerieConfig().__dict__)


class Line(pygal.Line):
    """pygal's line chart, the same picture (its class named as pygal's: the picture's class
    is "line-graph") with less of pygal's generic work, for lines of numbers (or None) only, as
    this module draws them: no dictionaries of values, no secondary axis.

    - Each series' options are read as pygal reads them (its defaults, the chart's, then its
      own), the option names and defaults listed once (``_SERIE_DEFAULTS``).
    - An attribute is read from the drawing's state as pygal's ``BaseGraph.__getattribute__``
      reads it, in one dictionary look-up: pygal reads thousands a picture through it.
    - pygal's tooltips script (its configuration as JSON) is not written: an image runs no
      script (``js=[]`` leaves out the script's file; this, its inline configuration).
    - Its stylesheet is made once for the pictures it is the same for (``_add_styles``).

    tests/test_chart_pictures.py compares its pictures with pygal's own ``Line``'s.
    """

    def __getattribute__(self, name: str):
        state = object.__getattribute__(self, "__dict__").get("state")
        if state is not None and name != "state" and not name.startswith("__"):
            try:
                return state.__dict__[name]
            except KeyError:
                pass
        return object.__getattribute__(self, name)

    def prepare_values(self, raw, offset=0):
        super().prepare_values([], offset)  # what pygal prepares before the values: labels
        if not raw:
            return None
        self._adapt = decimal_to_float if not self.strict else ident
        self._x_adapt = ident
        raw = [(list(values), options) for values, options in raw]
        width = max([len(values) for values, _options in raw] + [len(self.x_labels or [])])
        chart = {k: v for k, v in self.state.__dict__.items() if k in _SERIE_DEFAULTS}
        series = []
        for values, options in raw:
            config = SerieConfig.__new__(SerieConfig)  # as SerieConfig(), its defaults
            config.__dict__.update(_SERIE_DEFAULTS)
            merge(config.__dict__, chart)
            merge(config.__dict__, {k: v for k, v in options.items() if k in _SERIE_DEFAULTS})
            values = [self._adapt(v) for v in values] + [None] * (width - len(values))
            series.append(Serie(offset + len(series), values, config, {}))
        return series

    def _draw(self) -> None:
        super()._draw()
        self.svg.add_scripts = _no_script
        self.svg.add_styles = functools.partial(_add_styles, self.svg)


def _no_script() -> None:
    pass


# A picture's stylesheet as pygal writes it (three files read, templated and minified), by
# what it is made of, its picture's id left as this mark: pygal writes it anew for every
# picture, a quarter of its drawing time. Made of this module's style and pygal's files, it
# never changes while the code runs.
_STYLESHEETS: dict[tuple, str] = {}
_ID_MARK = "#chart-stylesheet "  # an id as pygal writes them: "#chart-<uuid> "


def _add_styles(svg: Svg) -> None:
    """pygal's ``Svg.add_styles``, its stylesheet made once for the pictures it is the same
    for (the same style and files, colours by series, strokes), their own id put in."""
    graph, own = svg.graph, svg.id
    svg.id = _ID_MARK
    try:
        key = (
            graph.pretty_print,
            graph.no_prefix,
            graph.style,
            tuple(graph.css),
            graph.style.get_colors(_ID_MARK, graph._order),
            svg.get_strokes(),
        )
        if key not in _STYLESHEETS:
            Svg.add_styles(svg)  # as pygal writes it, with the mark for an id
            _STYLESHEETS[key] = svg.defs[-1].text
            svg.defs.remove(svg.defs[-1])
    finally:
        svg.id = own
    # The id without its space: the minifier drops it before a brace, as in the mark.
    stylesheet = _STYLESHEETS[key].replace(_ID_MARK.rstrip(), own.rstrip())
    svg.node(svg.defs, "style", type="text/css").text = stylesheet


def line(title: str, **settings) -> Line:
    """A line chart of percentages in the house style, its legend below, with no script: the
    only way this project makes a chart (``Line`` and its stylesheets count on its settings:
    no stylesheet by address, no secondary axis, no logarithmic scale)."""
    return Line(
        style=STYLE,
        title=title,
        range=(0, 100),
        width=760,
        show_minor_x_labels=False,
        truncate_label=-1,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        value_formatter=lambda v: f"{v:.0f} %",
        disable_xml_declaration=True,
        js=[],
        **{"show_dots": False, "dots_size": 3, **settings},  # unless asked: lines only
    )
