"""Reading untrusted XML (e-invoices): no DTD, no entities, bounded size and element count.

A document with a DOCTYPE or an entity declaration is refused before the parser reads it
(a byte scan), and again by the parser (defusedxml with ``forbid_dtd``, ``forbid_entities``,
``forbid_external``), so neither an external entity (XXE) nor entity expansion (billion
laughs) is ever resolved. Elements remember their line for located issues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from .errors import IngestError

MAX_ELEMENTS = 200_000
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass
class XmlDocument:
    root: Element
    lines: dict[int, int]  # id(element) → 1-based line of its start tag

    def line(self, element: Element | None) -> int | None:
        return None if element is None else self.lines.get(id(element))


class _LineBuilder(TreeBuilder):
    def __init__(self, filename: str, max_elements: int) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}
        self.count = 0
        self.filename = filename
        self.max_elements = max_elements
        self.keep: list[Element] = []

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        elem = super().start(tag, attrs)
        self.count += 1
        if self.count > self.max_elements:
            line = self.parser.parser.CurrentLineNumber if self.parser is not None else None
            raise IngestError(
                f"{self.filename}: {line} 行目: XML の要素数が上限 {self.max_elements:,} を"
                "超えています",
                f"{self.filename}: line {line}: more than {self.max_elements:,} XML elements;"
                " refused",
                file=self.filename,
                line=line,
            )
        if self.parser is not None:
            self.lines[id(elem)] = self.parser.parser.CurrentLineNumber
            self.keep.append(elem)  # ids stay unique while the elements live
        return elem


def parse_xml(data: bytes, filename: str, *, max_elements: int = MAX_ELEMENTS) -> XmlDocument:
    """Parse ``data`` or raise ``IngestError`` saying why (hostile, malformed, too large)."""
    m = _DTD.search(data[:65536]) or (_DTD.search(data) if b"<!" in data else None)
    if m:
        line = data[: m.start()].count(b"\n") + 1
        raise IngestError(
            f"{filename}: {line} 行目: DOCTYPE・ENTITY 宣言を含む XML は安全のため読みません"
            "（外部実体も実体の展開も扱いません）",
            f"{filename}: line {line}: XML with a DOCTYPE or entity declaration is refused"
            " (external entities and entity expansion are never resolved)",
            file=filename,
            line=line,
        )
    builder = _LineBuilder(filename, max_elements)
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise IngestError(
            f"{filename}: 安全でない XML の構造のため読みません",
            f"{filename}: refused unsafe XML ({type(exc).__name__})",
            file=filename,
        ) from exc
    except (LookupError, UnicodeError) as exc:  # an unknown or lying encoding declaration
        raise IngestError(
            f"{filename}: 1 行目: XML の文字コード宣言が読めません",
            f"{filename}: line 1: the XML's encoding cannot be read ({exc})",
            file=filename,
            line=1,
        ) from exc
    except ParseError as exc:
        line, offset = getattr(exc, "position", (0, 0))
        column = offset + 1  # expat counts from 0
        raise IngestError(
            f"{filename}: {line} 行目 {column} 列: XML として読めません",
            f"{filename}: line {line}, column {column}: not well-formed XML ({exc})",
            file=filename,
            line=line,
            column=column,
        ) from exc
    return XmlDocument(root, builder.lines)


def local(tag: str) -> str:
    """``{namespace}Name`` → ``Name``."""
    return tag.rsplit("}", 1)[-1]
