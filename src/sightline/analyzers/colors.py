"""Colour names: the CSS3 named colours and a 12-name simplified palette.

Every CSS3 extended colour keyword appears once (where CSS gives two spellings of one
colour, the one Rekognition's responses use: ``darkslategrey``, ``dimgrey`` but
``gray``; ``cyan`` and ``magenta`` for the aqua/fuchsia pairs). Each carries the
simplified colour we assign it, from a 12-name palette (black, white, grey, red,
orange, yellow, green, teal, blue, purple, pink, brown): Rekognition documents only
that its simplified colour is "one of 12 names", so the palette and the assignment
below are our own, chosen by eye on the CSS swatches.

A measured colour is named by its nearest CSS colour in CIELAB (perceptual distance),
and its simplified colour is that CSS colour's family, so one CSS name always maps to
one simplified name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

SIMPLIFIED_COLORS = (
    "black", "white", "grey", "red", "orange", "yellow",
    "green", "teal", "blue", "purple", "pink", "brown",
)  # fmt: skip

# name, hex, simplified colour
_TABLE = """
aliceblue f0f8ff white                 antiquewhite faebd7 white
aquamarine 7fffd4 teal                 azure f0ffff white
beige f5f5dc white                     bisque ffe4c4 white
black 000000 black                     blanchedalmond ffebcd white
blue 0000ff blue                       blueviolet 8a2be2 purple
brown a52a2a brown                     burlywood deb887 brown
cadetblue 5f9ea0 teal                  chartreuse 7fff00 green
chocolate d2691e brown                 coral ff7f50 orange
cornflowerblue 6495ed blue             cornsilk fff8dc white
crimson dc143c red                     cyan 00ffff teal
darkblue 00008b blue                   darkcyan 008b8b teal
darkgoldenrod b8860b brown             darkgreen 006400 green
darkgrey a9a9a9 grey                   darkkhaki bdb76b yellow
darkmagenta 8b008b purple              darkolivegreen 556b2f green
darkorange ff8c00 orange               darkorchid 9932cc purple
darkred 8b0000 red                     darksalmon e9967a orange
darkseagreen 8fbc8f green              darkslateblue 483d8b blue
darkslategrey 2f4f4f grey              darkturquoise 00ced1 teal
darkviolet 9400d3 purple               deeppink ff1493 pink
deepskyblue 00bfff blue                dimgrey 696969 grey
dodgerblue 1e90ff blue                 firebrick b22222 red
floralwhite fffaf0 white               forestgreen 228b22 green
gainsboro dcdcdc grey                  ghostwhite f8f8ff white
gold ffd700 yellow                     goldenrod daa520 yellow
gray 808080 grey                       green 008000 green
greenyellow adff2f green               honeydew f0fff0 white
hotpink ff69b4 pink                    indianred cd5c5c red
indigo 4b0082 purple                   ivory fffff0 white
khaki f0e68c yellow                    lavender e6e6fa purple
lavenderblush fff0f5 white             lawngreen 7cfc00 green
lemonchiffon fffacd yellow             lightblue add8e6 blue
lightcoral f08080 pink                 lightcyan e0ffff white
lightgoldenrodyellow fafad2 yellow     lightgreen 90ee90 green
lightgrey d3d3d3 grey                  lightpink ffb6c1 pink
lightsalmon ffa07a orange              lightseagreen 20b2aa teal
lightskyblue 87cefa blue               lightslategrey 778899 grey
lightsteelblue b0c4de blue             lightyellow ffffe0 yellow
lime 00ff00 green                      limegreen 32cd32 green
linen faf0e6 white                     magenta ff00ff pink
maroon 800000 red                      mediumaquamarine 66cdaa teal
mediumblue 0000cd blue                 mediumorchid ba55d3 purple
mediumpurple 9370db purple             mediumseagreen 3cb371 green
mediumslateblue 7b68ee blue            mediumspringgreen 00fa9a green
mediumturquoise 48d1cc teal            mediumvioletred c71585 pink
midnightblue 191970 blue               mintcream f5fffa white
mistyrose ffe4e1 white                 moccasin ffe4b5 brown
navajowhite ffdead brown               navy 000080 blue
oldlace fdf5e6 white                   olive 808000 green
olivedrab 6b8e23 green                 orange ffa500 orange
orangered ff4500 orange                orchid da70d6 purple
palegoldenrod eee8aa yellow            palegreen 98fb98 green
paleturquoise afeeee teal              palevioletred db7093 pink
papayawhip ffefd5 white                peachpuff ffdab9 orange
peru cd853f brown                      pink ffc0cb pink
plum dda0dd purple                     powderblue b0e0e6 blue
purple 800080 purple                   red ff0000 red
rosybrown bc8f8f brown                 royalblue 4169e1 blue
saddlebrown 8b4513 brown               salmon fa8072 orange
sandybrown f4a460 brown                seagreen 2e8b57 green
seashell fff5ee white                  sienna a0522d brown
silver c0c0c0 grey                     skyblue 87ceeb blue
slateblue 6a5acd blue                  slategrey 708090 grey
snow fffafa white                      springgreen 00ff7f green
steelblue 4682b4 blue                  tan d2b48c brown
teal 008080 teal                       thistle d8bfd8 purple
tomato ff6347 red                      turquoise 40e0d0 teal
violet ee82ee purple                   wheat f5deb3 brown
white ffffff white                     whitesmoke f5f5f5 white
yellow ffff00 yellow                   yellowgreen 9acd32 green
"""


@dataclass(frozen=True)
class NamedColor:
    name: str
    rgb: tuple[int, int, int]
    simplified: str


def _parse() -> tuple[NamedColor, ...]:
    words = _TABLE.split()
    colors = []
    for i in range(0, len(words), 3):
        name, hexcode, simplified = words[i : i + 3]
        rgb = (int(hexcode[0:2], 16), int(hexcode[2:4], 16), int(hexcode[4:6], 16))
        colors.append(NamedColor(name, rgb, simplified))
    return tuple(colors)


CSS_COLORS: tuple[NamedColor, ...] = _parse()
CSS_BY_NAME: dict[str, NamedColor] = {c.name: c for c in CSS_COLORS}


def rgb_to_lab(rgb: NDArray[np.floating] | NDArray[np.uint8]) -> NDArray[np.float32]:
    """CIELAB (L 0-100, a/b about -128..127) of an N x 3 array of sRGB values 0-255."""
    values = np.asarray(rgb, dtype=np.float32).reshape(1, -1, 3) / 255.0
    return np.asarray(cv2.cvtColor(values, cv2.COLOR_RGB2Lab)[0], dtype=np.float32)


@lru_cache(maxsize=1)
def _palette_lab() -> NDArray[np.float32]:
    return rgb_to_lab(np.array([c.rgb for c in CSS_COLORS], dtype=np.float32))


def nearest_css(rgb: tuple[float, float, float]) -> NamedColor:
    """The CSS named colour nearest to ``rgb`` (0-255 each) by CIELAB distance."""
    lab = rgb_to_lab(np.array([rgb], dtype=np.float32))[0]
    distances = np.sum((_palette_lab() - lab) ** 2, axis=1)
    return CSS_COLORS[int(np.argmin(distances))]


def hex_code(rgb: tuple[int, int, int]) -> str:
    """``#rrggbb`` in lower case, as Rekognition writes HexCode."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)
