"""OFD files built here by the structure of GB/T 33190-2016: OFD.xml → Doc_0/Document.xml (CommonData
with PageArea, PublicRes, optional TemplatePage; Pages) → Doc_0/Pages/Page_N/Content.xml with Layers of
TextObjects (Boundary in mm, Font, Size) holding TextCodes (X, Y baseline, DeltaX advances).

Lines are laid out like a typeset 公文: A4, 3.5 mm (小四-ish) characters, paragraphs indented by two
characters, wrapped at the text width, one TextObject per line.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

NS = "http://www.ofdspec.org/2016"
SIZE = 3.5  # mm per character
LEFT, TOP, TEXT_WIDTH = 27.0, 37.0, 156.0
LINE_PITCH = 6.0


@dataclass
class OfdPage:
    paragraphs: Sequence[str] = ()
    title: str | None = None
    template: bool = False  # draw the page on the document's template page (a letterhead)
    # Extra text codes placed as given: (x, y, text, deltas as written, e.g. "g 3 3.5").
    raw_codes: list[tuple[float, float, str, str]] = field(default_factory=list)


def _text_object(object_id: int, x: float, y: float, text: str, delta_x: str | None = None) -> str:
    width = SIZE * len(text)
    deltas = delta_x if delta_x is not None else " ".join([str(SIZE)] * (len(text) - 1))
    delta_attr = f' DeltaX="{deltas}"' if deltas else ""
    return (
        f'<ofd:TextObject ID="{object_id}" Boundary="{x:.2f} {y:.2f} {width:.2f} {SIZE * 1.4:.2f}" '
        f'Font="2" Size="{SIZE}"><ofd:FillColor Value="0 0 0"/>'
        f'<ofd:TextCode X="0" Y="{SIZE:.2f}"{delta_attr}>{escape(text)}</ofd:TextCode></ofd:TextObject>'
    )


def _lines(paragraph: str) -> list[tuple[float, str]]:
    """(x offset, text) of each typeset line: the first indented by two characters."""
    per_line = int(TEXT_WIDTH // SIZE)
    lines, rest, first = [], paragraph, True
    while rest:
        room = per_line - 2 if first else per_line
        lines.append((2 * SIZE if first else 0.0, rest[:room]))
        rest, first = rest[room:], False
    return lines


def page_content(page: OfdPage, first_id: int) -> str:
    objects, object_id, y = [], first_id, TOP
    if page.title:
        x = LEFT + (TEXT_WIDTH - SIZE * len(page.title)) / 2
        objects.append(_text_object(object_id, x, y, page.title))
        object_id, y = object_id + 1, y + 2 * LINE_PITCH
    for paragraph in page.paragraphs:
        for offset, line in _lines(paragraph):
            objects.append(_text_object(object_id, LEFT + offset, y, line))
            object_id, y = object_id + 1, y + LINE_PITCH
    for x, code_y, text, deltas in page.raw_codes:
        objects.append(_text_object(object_id, x, code_y, text, deltas))
        object_id += 1
    template = '<ofd:Template TemplateID="100" ZOrder="Background"/>' if page.template else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}">{template}'
        f'<ofd:Content><ofd:Layer ID="{first_id - 1}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def ofd_bytes(
    pages: Sequence[OfdPage],
    *,
    doc_title: str = "",
    template_text: str | None = None,
    encrypted: bool = False,
    absolute_locations: bool = False,
) -> bytes:
    """A complete .ofd package. ``template_text`` puts one centred line on a template page (as a
    letterhead), drawn under pages that ask for it; ``encrypted`` declares an Encryptions entry the way
    GM/T 0099 packages do, with the page content left unreadable."""
    buffer = io.BytesIO()
    loc = "/Doc_0/" if absolute_locations else ""
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        encryptions = "<ofd:Encryptions>Encryptions.xml</ofd:Encryptions>" if encrypted else ""
        package.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>6f2d3c1a8b7e4f50a1b2c3d4e5f60718</ofd:DocID>"
            f"<ofd:Title>{escape(doc_title)}</ofd:Title><ofd:Creator>zgt-tests</ofd:Creator>"
            f"<ofd:CreationDate>2024-03-01</ofd:CreationDate></ofd:DocInfo>"
            f"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>{encryptions}</ofd:DocBody></ofd:OFD>",
        )
        if encrypted:
            package.writestr("Encryptions.xml", f'<ofd:Encryptions xmlns:ofd="{NS}"/>')
        template_page = (
            f'<ofd:TemplatePage ID="100" BaseLoc="{loc}Tpls/Tpl_0/Content.xml"/>' if template_text else ""
        )
        page_refs = "".join(
            f'<ofd:Page ID="{i + 1}" BaseLoc="{loc}Pages/Page_{i}/Content.xml"/>' for i in range(len(pages))
        )
        package.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
            f"<ofd:MaxUnitID>{1000 * (len(pages) + 2)}</ofd:MaxUnitID>"
            "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
            f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{template_page}</ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        package.writestr(
            "Doc_0/PublicRes.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
        )
        if template_text:
            header = OfdPage(raw_codes=[(LEFT + (TEXT_WIDTH - SIZE * len(template_text)) / 2, 20.0, template_text, "")])
            package.writestr("Doc_0/Tpls/Tpl_0/Content.xml", page_content(header, 50))
        for i, page in enumerate(pages):
            content = page_content(page, 1000 * (i + 1))
            package.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", content.encode("utf-8")[::-1] if encrypted else content)
    return buffer.getvalue()
