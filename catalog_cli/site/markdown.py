"""A README as HTML that cannot script a page: markdown-it-py renders it (CommonMark,
tables, strikethrough; raw HTML in the Markdown stays text), and nh3 (the Ammonia
sanitiser) keeps an allow-list of tags, attributes and URL schemes whatever the
renderer produced. Headings move down two levels: the page's own h1 and h2 come first."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

TAGS = {"p", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "code", "pre", "em", "strong", "del", "s",
        "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
SCHEMES = {"http", "https", "mailto"}
#: Headings below the page's own: a README's ``#`` becomes h3.
SHIFT = 2


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def _href(tag: str, attr: str, value: str) -> str | None:
    """Links that leave the catalog stay; links into the README's own folder do not,
    since the site does not hold those files (and ``#`` anchors name no id kept here)."""
    if attr != "href":
        return value
    scheme, colon, _ = value.partition(":")
    return value if colon and scheme.lower() in SCHEMES else None


def render(text: str) -> str:
    """``text`` (Markdown) as sanitised HTML."""
    import nh3

    md = _parser()
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + SHIFT, 6)}"
        for child in token.children or ():
            if child.type == "image":  # never loaded from elsewhere: the site works offline
                child.type, child.tag, child.nesting = "text", "", 0
                child.content = f"[image: {child.content}]" if child.content else "[image]"
                child.children = None
    html = md.renderer.render(tokens, md.options, {})
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, attribute_filter=_href,
                     link_rel="noopener noreferrer nofollow")
