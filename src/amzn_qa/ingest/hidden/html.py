"""HTML elements a browser does not show (OWASP LLM01: a third party's page can carry figures
or instructions that only a machine reads).

The styles are the document's own: its <style> rules and style attributes, cascaded as a browser
does (!important, then inline, then specificity, then source order; inherited properties
inherit). tinycss2 parses the CSS and its colours; cssselect2 gives a selector's specificity and
the id, class or tag name its subject must have; soupsieve (beautifulsoup4's selector engine)
matches it on the soup. Stylesheets behind a <link> are not fetched: ingestion is offline.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Iterable, Iterator

import cssselect2
import soupsieve
import tinycss2
from bs4 import NavigableString, Tag
from bs4.element import PreformattedString, Script, Stylesheet, TemplateString
from cssselect2.compiler import CompiledSelector
from tinycss2 import color4

from amzn_qa.ingest.hidden import MIN_CONTRAST, WHITE, Hidden, contrast

DEFAULT_FONT_PX = 16.0  # "medium": a browser's base font size
MIN_FONT_PX = 4.0  # 3pt: smaller text is a speck, not something a reader reads
MIN_OPACITY = 0.05  # the element's opacity times its ancestors': at or under it, nothing shows
NO_SIZE_PX = 1.0  # the "screen-reader only" box is 1px by 1px
OFF_SCREEN_PX = 1000.0  # this far past the page's left or top edge, where no scrollbar reaches
BEYOND_PAGE_PX = 5000.0  # a right/bottom offset pushes a box past the left/top edge only when this large
VIEWPORT_PX = (1280.0, 800.0)  # a common screen, for vw and vh
BLACK = (0.0, 0.0, 0.0, 1.0)

# convert.py drops these whole after this module ran; their text is not shown anyway.
NOT_RENDERED = frozenset({"script", "style", "noscript", "template", "iframe", "head"})
# Boxes whose width and height do not apply (display: inline by default).
INLINE = frozenset("a abbr b bdi bdo cite code data dfn em font i kbd label mark q s samp small span strong sub sup"
                   " time tt u var".split())
# Elements that show something other than text, which no font size or text colour hides.
REPLACED = frozenset({"img", "svg", "video", "canvas", "picture", "object", "embed", "input"})
# Strings inside an element that are not its visible text.
NOT_TEXT = (PreformattedString, Script, Stylesheet, TemplateString)  # comments, doctype, CDATA, ...

FONT_KEYWORDS_PX = {"xx-small": 9, "x-small": 10, "small": 13, "medium": 16, "large": 18, "x-large": 24,
                    "xx-large": 32, "xxx-large": 48}
ABSOLUTE_PX = {"px": 1, "pt": 4 / 3, "pc": 16, "in": 96, "cm": 96 / 2.54, "mm": 96 / 25.4, "q": 96 / 101.6}
INHERIT = frozenset({"inherit", "unset", "revert", "revert-layer"})  # for an inherited property
# The properties read here; the shorthands that set them are split by _longhands.
READ = frozenset({
    "display", "content-visibility", "visibility", "opacity", "font-size", "color", "background-color",
    "background-image", "position", "left", "top", "right", "bottom", "text-indent", "transform",
    "width", "height", "max-width", "max-height", "overflow-x", "overflow-y", "clip", "clip-path",
})
SIDES = ("top", "right", "bottom", "left")
TRANSPARENT = tinycss2.parse_component_value_list("transparent")
NONE = tinycss2.parse_component_value_list("none")
TRANSLATE_AXES = {"translate": "XY", "translate3d": "XY", "translatex": "X", "translatey": "Y"}
SCALE = frozenset({"scale", "scale3d", "scalex", "scaley"})

Value = list  # a declaration's component values (tinycss2 nodes), whitespace and comments left out


@dataclass(frozen=True)
class _Style:
    """What is read here of an element's computed style. The colours are (red, green, blue[,
    alpha]) in 0..1; `background` is the opaque colour behind its text, None when an image is
    there; `opacity` is its own times its ancestors'."""

    visibility: str = "visible"
    font_px: float = DEFAULT_FONT_PX
    root_px: float = DEFAULT_FONT_PX  # the <html> element's font size, for rem
    color: tuple = BLACK
    background: tuple | None = WHITE
    opacity: float = 1.0
    declared: dict = field(default_factory=dict)  # the element's own cascaded values, by property


def drop_hidden_elements(soup) -> list[Hidden]:
    """Remove from the soup every element a browser does not show; one Hidden per source line
    and reason. An element whose own text is hidden by an inherited style (visibility, font
    size, colour) but with a descendant that shows again loses only its own text."""
    styles = _computed_styles(soup)
    dropped: Counter[tuple[int | None, str]] = Counter()  # in document order
    pending = _rendered_children(soup)
    while pending:
        element = pending.pop()
        style = styles[id(element)]
        box = _box_reason(element, style)
        text = None if box else _text_reason(element, style)
        if box or (text and not any(_shows(d, styles[id(d)]) for d in element.find_all(True))):
            if _has_content(element):  # an empty spacer or an icon is no text left out
                dropped[element.sourceline, box or text] += 1
            _remove(element)
            continue
        if text and _drop_own_text(element):
            dropped[element.sourceline, text] += 1
        pending += _rendered_children(element)
    return [Hidden(f"line {line}", reason, count) for (line, reason), count in dropped.items()]


def _rendered_children(element: Tag) -> list[Tag]:
    """The child elements, last first, so that popping them walks the document in order."""
    return [child for child in reversed(element.contents)
            if isinstance(child, Tag) and child.name not in NOT_RENDERED]


def _own_text(element: Tag) -> list[NavigableString]:
    return [child for child in element.children
            if isinstance(child, NavigableString) and not isinstance(child, NOT_TEXT) and child.strip()]


def _shows(element: Tag, style: _Style) -> bool:
    """Whether the element itself puts something on screen: its own text, or an image (which
    only visibility hides, not a font size or a colour)."""
    if _own_text(element):
        return _text_reason(element, style) is None
    return element.name in REPLACED and style.visibility == "visible"


def _has_content(element: Tag) -> bool:
    return bool(element.get_text(strip=True)) or element.name == "img" or element.find("img") is not None


def _drop_own_text(element: Tag) -> bool:
    strings = _own_text(element)
    for string in strings:
        string.extract()
    return bool(strings)


def _remove(element: Tag) -> None:
    # An emptied table cell keeps the row's other cells under their column headers.
    if element.name in ("td", "th"):
        element.clear()
    else:
        element.decompose()


# --- why an element is not seen -----------------------------------------------------------

def _box_reason(element: Tag, style: _Style) -> str | None:
    """Why nothing in the element's box is seen, whatever its descendants declare."""
    declared = style.declared
    if element.has_attr("hidden"):
        return "hidden attribute"
    if str(element.get("aria-hidden", "")).strip().lower() == "true":
        return 'aria-hidden="true"'
    if _keyword(declared.get("display")) == "none":
        return "display:none"
    if _keyword(declared.get("content-visibility")) == "hidden":
        return "content-visibility:hidden"
    if style.opacity <= MIN_OPACITY:
        return f"opacity {style.opacity:.2g}"
    return (_no_size_reason(element, style) or _clip_reason(style) or _off_screen_reason(style)
            or _transform_reason(style))


def _text_reason(element: Tag, style: _Style) -> str | None:
    """Why the element's own text is not seen; a descendant may set what makes its text seen."""
    if style.visibility != "visible":
        return f"visibility:{style.visibility}"
    if style.font_px < MIN_FONT_PX:
        return f"font size {style.font_px:.3g}px"
    return __contrast_reason(style)


def _no_size_reason(element: Tag, style: _Style) -> str | None:
    """A box without width or height that clips what overflows it (the screen-reader-only box)."""
    declared = style.declared
    display = _keyword(declared.get("display")) or ("inline" if element.name in INLINE else "block")
    overflows = {_keyword(declared.get("overflow-x")), _keyword(declared.get("overflow-y"))}
    if display == "inline" or not overflows & {"hidden", "clip", "auto", "scroll"}:
        return None  # width and height do not apply to an inline box; else the text overflows it
    for name in ("width", "height", "max-width", "max-height"):
        size = _px(declared.get(name), style)
        if size is not None and size <= NO_SIZE_PX:
            return f"{name} {size:g}px with overflow hidden"
    return None


def _clip_reason(style: _Style) -> str | None:
    """clip: rect(0 0 0 0) (which applies to absolutely positioned boxes only) or a clip-path
    inset that meets in the middle, inset(50%)."""
    declared = style.declared
    clip = _function(declared.get("clip"), "rect")
    if clip and _keyword(declared.get("position")) in ("absolute", "fixed") and len(_arguments(clip)) == 4:
        top, right, bottom, left = (_px([argument], style) for argument in _arguments(clip))
        if None not in (top, right, bottom, left) and (bottom - top <= NO_SIZE_PX or right - left <= NO_SIZE_PX):
            return f"clip: {tinycss2.serialize([clip])}"
    inset = _function(declared.get("clip-path"), "inset")
    if inset:
        # Percentages of the box only (a length needs the box's size); "round 5px" is the corners.
        lengths = takewhile(lambda token: token.type != "ident", _arguments(inset))
        top, right, bottom, left = _four_sides([t.value if t.type == "percentage" else 0 for t in lengths] or [0])
        if top + bottom >= 100 or left + right >= 100:
            return f"clip-path: {tinycss2.serialize([inset])}"
    circle = _function(declared.get("clip-path"), "circle")
    if circle and _px(_arguments(circle)[:1], style) == 0:
        return "clip-path: circle(0)"
    return None


def _off_screen_reason(style: _Style) -> str | None:
    """A box or its text moved past the page's left or top edge, where no scrolling reaches."""
    declared = style.declared
    limits = {"text-indent": -OFF_SCREEN_PX}
    if _keyword(declared.get("position")) in ("absolute", "fixed", "relative"):
        limits |= {"left": -OFF_SCREEN_PX, "top": -OFF_SCREEN_PX, "right": BEYOND_PAGE_PX, "bottom": BEYOND_PAGE_PX}
    for name, limit in limits.items():
        offset = _px(declared.get(name), style)
        if offset is not None and (offset < limit if limit < 0 else offset > limit):
            return f"off screen ({name} {offset:g}px)"
    return None


def _transform_reason(style: _Style) -> str | None:
    """transform: translateX(-9999px) moves the box off screen; scale(0) shrinks it to nothing."""
    for function in style.declared.get("transform", ()):
        if function.type != "function":
            continue
        arguments = _arguments(function)
        for axis, argument in zip(TRANSLATE_AXES.get(function.lower_name, ""), arguments):
            offset = _px([argument], style)
            if offset is not None and offset < -OFF_SCREEN_PX:
                return f"off screen (translate{axis} {offset:g}px)"
        if function.lower_name in SCALE and any(a.type == "number" and a.value == 0 for a in arguments[:2]):
            return "transform: scale(0)"
    return None


def __contrast_reason(style: _Style) -> str | None:
    """Text whose colour (faded by its alpha and opacity) is about that of what is behind it."""
    if style.background is None:
        return None  # a background image: its colours are not known here
    red, green, blue, alpha = style.color
    text = _over((red, green, blue, alpha * style.opacity), style.background)
    ratio = contrast(text, style.background)
    if ratio < MIN_CONTRAST:
        return f"text colour {_hex(text)} on background {_hex(style.background)} (contrast {ratio:.2f})"
    return None


# --- the cascade -------------------------------------------------------------------------

def _computed_styles(soup) -> dict[int, _Style]:
    """Every element's computed style, by id(element); computed before anything is removed, so
    that no removal changes what a selector (:nth-child, +) matches."""
    declared = _cascade(soup)
    styles = {id(soup): _Style()}
    for element in soup.find_all(True):  # document order: a parent before its children
        styles[id(element)] = _computed(element, declared.get(id(element), {}), styles[id(element.parent)])
    return styles


def _computed(element: Tag, declared: dict, parent: _Style) -> _Style:
    font_px = _inherited(declared.get("font-size"), parent.font_px, DEFAULT_FONT_PX, lambda v: _font_px(v, parent))
    color = _inherited(declared.get("color"), parent.color, BLACK, lambda v: _rgba(v, parent.color))
    return _Style(
        visibility=_inherited(declared.get("visibility"), parent.visibility, "visible", _visibility),
        font_px=font_px,
        root_px=font_px if element.name == "html" else parent.root_px,
        color=color,
        background=_background(declared, color, parent.background),
        opacity=parent.opacity * _opacity(declared.get("opacity")),
        declared=declared,
    )


def _cascade(soup) -> dict[int, dict[str, Value]]:
    """Each element's value (by id(element)) of each property read here that something sets:
    the declaration that wins among its matching <style> rules, its presentational attributes
    and its style attribute."""
    found: defaultdict[int, list] = defaultdict(list)  # id -> [(precedence, property, value)]
    index = _index(soup)
    for order, (selector, compiled, declarations) in enumerate(_style_rules(soup)):
        for element in _select(index, selector, compiled):
            found[id(element)] += [((important, False, compiled.specificity, order), name, value)
                                   for important, name, value in declarations]
    for element in index["*", ""]:
        # Presentational attributes come before every rule; inline style after every rule.
        found[id(element)] += [((False, False, (0, 0, 0), -1), name, value) for name, value in _hints(element)]
        found[id(element)] += [((important, True, (0, 0, 0), 0), name, value)
                               for important, name, value in _declarations(str(element.get("style") or ""))]
    # Later wins: the highest precedence is applied last.
    return {key: {name: value for _, name, value in sorted(entries, key=lambda entry: entry[0])}
            for key, entries in found.items() if entries}


def _style_rules(soup) -> Iterator[tuple[str, CompiledSelector, list]]:
    """(selector, its cssselect2 form, declarations) of every style rule in the document's <style>
    elements for the screen, in source order; rules that set nothing read here are left out."""
    for style in soup.find_all("style"):
        if _for_screen(tinycss2.parse_component_value_list(str(style.get("media") or ""))):
            rules = tinycss2.parse_stylesheet(style.get_text(), skip_comments=True, skip_whitespace=True)
            yield from _rules_in(rules)


def _rules_in(rules: list) -> Iterator[tuple[str, CompiledSelector, list]]:
    for rule in rules:
        if rule.type == "qualified-rule":
            declarations = _declarations(rule.content)
            for selector, compiled in _selectors(rule.prelude) if declarations else ():
                yield selector, compiled, declarations
        elif rule.type == "at-rule" and rule.content is not None and _applies(rule):
            yield from _rules_in(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))


def _applies(rule) -> bool:
    """Whether the rules inside an at-rule can apply on a screen. Conditions (@supports, a
    width in @media) are taken as met, as some reader's browser meets them; @layer order is not
    modelled."""
    if rule.lower_at_keyword == "media":
        return _for_screen(rule.prelude)
    return rule.lower_at_keyword in ("supports", "layer", "container", "scope")


def _for_screen(media: list) -> bool:
    """Whether a media query list (tinycss2 tokens) matches a screen: only print or speech does not."""
    for query in _comma_separated(media):
        words = {token.lower_value for token in query if token.type == "ident"}
        if "not" in words or not words & {"print", "speech"}:
            return True
    return False


def _selectors(prelude: list) -> Iterator[tuple[str, CompiledSelector]]:
    """(text, cssselect2 form: its specificity, the id, class or name its subject must have) of
    each selector of a rule. A selector cssselect2 cannot parse is left out, as a browser leaves
    it out; so is one with a pseudo-element (the text of ::before is not the element's)."""
    for part in _comma_separated(prelude):
        try:
            compiled = cssselect2.compile_selector_list(part)
        except cssselect2.SelectorError:
            continue
        if len(compiled) == 1 and compiled[0].pseudo_element is None and not compiled[0].never_matches:
            yield tinycss2.serialize(part).strip(), compiled[0]


def _index(soup) -> dict[tuple[str, str], list[Tag]]:
    """The elements by id, by class and by tag name; ("*", "") lists them all, in document order."""
    index = defaultdict(list)
    for element in soup.find_all(True):
        keys = [("*", ""), ("", element.name), ("#", element.get("id"))]
        keys += [(".", name) for name in element.get_attribute_list("class")]
        for key in keys:
            index[key].append(element)
    return index


def _select(index: dict, selector: str, compiled: CompiledSelector) -> list[Tag]:
    """The elements a selector matches. soupsieve tests only those with the id, class or name
    the selector's subject must have (as cssselect2's Matcher does): testing every element
    against every selector of a large stylesheet took minutes."""
    key = (("#", compiled.id) if compiled.id else (".", compiled.class_name) if compiled.class_name
           else ("", compiled.lower_local_name) if compiled.lower_local_name else ("*", ""))
    try:
        match = soupsieve.compile(selector).match
    except soupsieve.SelectorSyntaxError:  # a selector soupsieve does not implement (:focus-visible)
        return []
    return [element for element in index.get(key, ()) if match(element)]


def _comma_separated(tokens: list) -> Iterator[list]:
    part: list = []
    for token in tokens:
        if token == ",":
            yield part
            part = []
        else:
            part.append(token)
    yield part


def _declarations(content) -> list[tuple[bool, str, Value]]:
    """(important, property, value) of each declaration in a rule's block or a style attribute
    that sets a property read here, shorthands split into their longhands."""
    result = []
    for item in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration":
            value = [token for token in item.value if token.type not in ("whitespace", "comment")]
            result += [(item.important, name, longhand) for name, longhand in _longhands(item.lower_name, value)]
    return result


def _hints(element: Tag) -> list[tuple[str, Value]]:
    """The colours of HTML 4 attributes browsers still honour (<font color>, bgcolor, <body
    text>): white <font> on a white page is an old way to hide text."""
    hints = {"background-color": element.get("bgcolor")}
    if element.name in ("font", "body"):
        hints["color"] = element.get("color" if element.name == "font" else "text")
    return [(name, tinycss2.parse_component_value_list(_legacy_colour(str(value))))
            for name, value in hints.items() if value]


def _legacy_colour(value: str) -> str:
    # An HTML attribute may leave out the '#' of a hex colour ("ffffff").
    value = value.strip()
    is_hex = len(value) in (3, 6) and all(c in "0123456789abcdefABCDEF" for c in value)
    return f"#{value}" if is_hex else value


def _longhands(name: str, value: Value) -> list[tuple[str, Value]]:
    """The properties read here that a declaration sets, its shorthand split."""
    if _keyword(value) in INHERIT | {"initial"} and name in ("font", "background", "overflow", "inset"):
        targets = {"font": ["font-size"], "background": ["background-color", "background-image"],
                   "overflow": ["overflow-x", "overflow-y"], "inset": list(SIDES)}[name]
        return [(target, value) for target in targets]
    if name == "font":
        return [("font-size", size)] if (size := _font_shorthand_size(value)) else []
    if name == "background":
        return _background_longhands(value)
    if name == "overflow" and value:
        return [("overflow-x", value[:1]), ("overflow-y", value[-1:])]
    if name == "inset" and value:
        return [(side, [token]) for side, token in zip(SIDES, _four_sides(value))]
    return [(name, value)] if name in READ else []


def _font_shorthand_size(value: Value) -> Value:
    """The size in `font`: before the '/' of a line height ("font: 0/0 a"), else the last
    length, percentage or size keyword ("bold 1px serif")."""
    for before, token in zip(value, value[1:]):
        if token == "/":
            return [before]
    sizes = [token for token in value if token.type in ("dimension", "percentage")
             or (token.type == "number" and token.value == 0)
             or (token.type == "ident" and token.lower_value in FONT_KEYWORDS_PX)]
    return sizes[-1:]


def _background_longhands(value: Value) -> list[tuple[str, Value]]:
    """`background` sets the colour and the image, each to its initial value if not given."""
    colours = [token for token in value if color4.parse_color(token) is not None]
    images = [token for token in value if token.type == "url" or (
        token.type == "function" and (token.lower_name in ("url", "image", "image-set") or "gradient" in token.lower_name))]
    return [("background-color", colours[-1:] or TRANSPARENT), ("background-image", images[:1] or NONE)]


# --- values ------------------------------------------------------------------------------

def _inherited(value: Value | None, parent, initial, compute):
    """The computed value of an inherited property: the parent's when not set, when set to a
    keyword that means so, or when the value is not understood (a browser drops the declaration)."""
    keyword = _keyword(value) if value else "inherit"
    if keyword in INHERIT:
        return parent
    if keyword == "initial":
        return initial
    computed = compute(value)
    return parent if computed is None else computed


def _visibility(value: Value) -> str | None:
    keyword = _keyword(value)
    return keyword if keyword in ("visible", "hidden", "collapse") else None


def _font_px(value: Value, parent: _Style) -> float | None:
    keyword = _keyword(value)
    if keyword in FONT_KEYWORDS_PX:
        return float(FONT_KEYWORDS_PX[keyword])
    if keyword in ("smaller", "larger"):
        return parent.font_px * (1.2 if keyword == "larger" else 1 / 1.2)
    # A font size in em or % is of the parent's font size.
    size = _px(value, parent, percent_of=parent.font_px)
    return size if size is not None and size >= 0 else None


def _px(value: Value | None, style: _Style, percent_of: float | None = None) -> float | None:
    """A length in CSS pixels; None when not one resolved here (calc(), auto, a percentage of an
    unknown size)."""
    if not value or len(value) != 1:
        return None
    token = value[0]
    if token.type not in ("number", "percentage", "dimension"):
        return None
    if token.value == 0:
        return 0.0
    if token.type == "percentage":
        return token.value * percent_of / 100 if percent_of is not None else None
    if token.type != "dimension":
        return None  # a unitless length other than 0 is invalid
    width, height = VIEWPORT_PX
    relative = {"em": style.font_px, "ex": style.font_px / 2, "ch": style.font_px / 2, "rem": style.root_px,
                "vw": width / 100, "vh": height / 100, "vmin": min(width, height) / 100, "vmax": max(width, height) / 100}
    scale = ABSOLUTE_PX.get(token.lower_unit) or relative.get(token.lower_unit)
    return token.value * scale if scale is not None else None


def _opacity(value: Value | None) -> float:
    if not value or len(value) != 1 or value[0].type not in ("number", "percentage"):
        return 1.0
    opacity = value[0].value / (100 if value[0].type == "percentage" else 1)
    return min(1.0, max(0.0, opacity))


def _rgba(value: Value | None, current: tuple) -> tuple | None:
    """A colour as (red, green, blue, alpha) in 0..1; `current` for currentcolor; None when not a
    colour, or one in a space other than sRGB (lab(), oklch()), which is not converted here."""
    if not value or len(value) != 1:
        return None
    colour = color4.parse_color(value[0])
    if isinstance(colour, str):
        return current
    if colour is None or colour.space not in ("srgb", "hsl", "hwb"):
        return None
    red, green, blue, alpha = colour.to("srgb")
    return tuple(min(1.0, max(0.0, channel)) for channel in (red, green, blue)) + (alpha,)


def _background(declared: dict, color: tuple, behind: tuple | None) -> tuple | None:
    """The opaque colour behind the element's text: its own background colour over what shows
    through from its ancestors; None when an image is there (its colours are not known)."""
    image = declared.get("background-image")
    if image and _keyword(image) not in {"none", "initial"} | INHERIT:
        return None
    own = _rgba(declared.get("background-color"), color)
    if own is None or own[3] == 0:
        return behind
    return None if behind is None and own[3] < 1 else _over(own, behind or WHITE)


def _over(colour: tuple, behind: tuple) -> tuple:
    """A colour with alpha painted over an opaque one."""
    alpha = colour[3]
    return tuple(top * alpha + bottom * (1 - alpha) for top, bottom in zip(colour[:3], behind))








def _hex(rgb: tuple) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in rgb)


def _keyword(value: Value | None) -> str | None:
    """The identifier a value is, lower-cased ("none", "hidden"); None if it is not one."""
    if value and len(value) == 1 and value[0].type == "ident":
        return value[0].lower_value
    return None


def _function(value: Value | None, name: str):
    """The value when it is one call of the function `name` (rect(...)), else None."""
    if value and len(value) == 1 and value[0].type == "function" and value[0].lower_name == name:
        return value[0]
    return None


def _arguments(function) -> list:
    """A function's arguments, with or without commas between them."""
    return [token for token in function.arguments if token.type not in ("whitespace", "comment") and token != ","]


def _four_sides(values: Iterable) -> list:
    """top, right, bottom, left of a list of 1 to 4 values (as in margin: 1px 2px)."""
    values = list(values)[:4]
    top = values[0]
    right = values[1] if len(values) > 1 else top
    bottom = values[2] if len(values) > 2 else top
    left = values[3] if len(values) > 3 else right
    return [top, right, bottom, left]
