"""A README as HTML that cannot script a page: cmarkgfm (GitHub's cmark-gfm, the
renderer PyPI uses for project pages) renders it as GitHub does, in its safe mode (raw
HTML omitted, ``javascript:`` links emptied); nh3 (the Ammonia sanitiser) then keeps an
allow-list of tags, attributes and URL schemes whatever the renderer produced.

Headings move down two levels (the page's own h1 and h2 come first). A relative link
or image goes where the page's ``link`` says (:mod:`.readme_files`: a copy of the file
on the site, another version's page), or loses its target (a link) or becomes its alt
text (an image); so does every remote image (the site loads nothing from elsewhere).
Only the URLs ``link`` gave pass nh3 besides ``http``, ``https`` and ``mailto`` links.

markdown-it-py was the first choice and measured 3 ms a README against cmark-gfm's
0.2 ms: on a 15,000-version catalog that was most of the site's time.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

TAGS = {"p", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "code", "pre", "em", "strong", "del", "s",
        "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "input", "img"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "input": {"type", "checked", "disabled"},
              "img": {"src", "alt", "title"}}
SCHEMES = {"http", "https", "mailto"}
#: Headings below the page's own: a README's ``#`` becomes h3.
SHIFT = 2
_HEADING = re.compile(r"<(/?)h([1-6])>")
_IMAGE = re.compile(r'<img src="([^"]*)" alt="([^"]*)"((?: title="[^"]*")?) />')
_LINK = re.compile(r'<a href="([^"]*)"')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: Where a README's relative links and images lead (a URL on the site, or None), given
#: the URL as written and whether it is an image's.
Link = Callable[[str, bool], "str | None"]
#: The site URLs the README being cleaned was given: the only relative ones nh3 keeps.
_GIVEN: ContextVar[frozenset[str]] = ContextVar("given", default=frozenset())


def _attribute(tag: str, attr: str, value: str) -> str | None:
    if tag == "input":  # a task list's check box, and nothing else an input could be
        return value if (attr, value) in (("type", "checkbox"), ("checked", ""), ("disabled", "")) else None
    if (tag, attr) == ("img", "src"):
        return value if value in _GIVEN.get() else None
    if attr != "href":
        return value
    scheme, colon, _ = value.partition(":")
    return value if (colon and scheme.lower() in SCHEMES) or value in _GIVEN.get() else None


#: Each heading tag as it moves down (``<h1>`` -> ``<h3>``, ``</h5>`` -> ``</h6>``).
_SHIFTED = {f"<{end}h{n}>": f"<{end}h{min(n + SHIFT, 6)}>" for end in ("", "/") for n in range(1, 7)}


@lru_cache(maxsize=1)
def _cleaner() -> Any:
    """nh3's sanitiser with the allow-lists above, built once (each call of ``nh3.clean``
    builds one anew: a sixth of its time)."""
    import nh3

    return nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, attribute_filter=_attribute,
                       link_rel="noopener noreferrer nofollow")


def render(text: str, link: Link | None = None) -> str:
    """``text`` (GitHub-flavoured Markdown) as sanitised HTML; ``link`` says where its
    relative links and images lead (without it, nowhere)."""
    import cmarkgfm

    html = cmarkgfm.github_flavored_markdown_to_html(text)  # safe mode: raw HTML never passes
    html = _HEADING.sub(lambda m: _SHIFTED[m.group(0)], html)
    given: set[str] = set()

    def image(m: re.Match[str]) -> str:
        src, alt, title = htmllib.unescape(m.group(1)), m.group(2), m.group(3)
        site = link(src, True) if link is not None and src and not _SCHEME.match(src) else None
        if site is None:
            return f"[image: {alt}]" if alt else "[image]"
        given.add(site)
        return f'<img src="{htmllib.escape(site)}" alt="{alt}"{title} />'

    def anchor(m: re.Match[str]) -> str:
        href = htmllib.unescape(m.group(1))
        if _SCHEME.match(href) or not href or link is None:
            return m.group(0)  # a scheme (nh3 keeps http, https and mailto), or nothing to follow
        site = link(href, False)
        if site is None:
            return "<a"
        given.add(site)
        return f'<a href="{htmllib.escape(site)}"'

    if "<img " in html:
        html = _IMAGE.sub(image, html)
    if '<a href="' in html:
        html = _LINK.sub(anchor, html)
    token = _GIVEN.set(frozenset(given))
    try:
        clean: str = _cleaner().clean(html)
    finally:
        _GIVEN.reset(token)
    # A wide table scrolls in its own focusable region, so the keyboard reaches it too
    # (added after sanitising: these are the site's attributes, not the README's).
    return (clean.replace("<table>", '<div class="scroll" role="region" aria-label="table" tabindex="0"><table>')
                 .replace("</table>", "</table></div>"))
