"""The rule expression language: tokenizer, recursive-descent parser and type checker.

A condition such as ``liquidity_months < 1 and streak(operating_profit < 0) >= 3`` is parsed
into a small typed AST. Nothing is ever ``eval``-ed: the only things a text can name are the
chart items, indicators, pack parameters and the functions listed in
:mod:`kizashi.engine.spec.functions`; anything else is a parse error with a line and column.
The AST is later compiled to SQL by :mod:`kizashi.engine.exec.compiler`.

Grammar::

    expr   := or
    or     := and ("or" and)*
    and    := not ("and" not)*
    not    := "not" not | cmp
    cmp    := add (("<" | "<=" | ">" | ">=" | "==" | "=" | "!=") add)?
    add    := mul (("+" | "-") mul)*
    mul    := unary (("*" | "/") unary)*
    unary  := "-" unary | atom
    atom   := NUMBER | "true" | "false" | "null" | NAME | NAME "(" [expr ("," expr)*] ")"
            | "(" expr ")"
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Type = Literal["num", "bool", "any"]


class ExprError(ValueError):
    """A problem in an expression, located by 1-based line and column within its text."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(f"line {line}, column {col}: {message}")
        self.message = message
        self.line = line
        self.col = col


# ----------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Node:
    line: int
    col: int


@dataclass(frozen=True)
class Num(Node):
    value: float


@dataclass(frozen=True)
class Const(Node):
    value: bool | None  # true, false, null


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    fn: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # + - * / < <= > >= = != and or
    left: Node
    right: Node


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node


def canonical(node: Node) -> str:
    """A position-free text of the expression: equal texts mean equal expressions."""
    if isinstance(node, Num):
        return repr(float(node.value))
    if isinstance(node, Const):
        return {True: "true", False: "false", None: "null"}[node.value]
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        return f"{node.fn}({', '.join(canonical(a) for a in node.args)})"
    if isinstance(node, BinOp):
        return f"({canonical(node.left)} {node.op} {canonical(node.right)})"
    if isinstance(node, Unary):
        return f"({node.op} {canonical(node.operand)})"
    raise TypeError(node)


# ----------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<num>(?:\d[\d_]*)(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|[-+*/<>=(),])
    """,
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "true", "false", "null"}
MAX_LENGTH = 4000
MAX_DEPTH = 60


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, op, kw, end
    text: str
    line: int
    col: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        col = pos - line_start + 1
        if not m:
            raise ExprError(f"unexpected character {text[pos]!r}", line, col)
        kind = m.lastgroup or ""
        if kind == "nl":
            line, line_start = line + 1, m.end()
        elif kind == "name" and m.group().lower() in KEYWORDS:
            tokens.append(Token("kw", m.group().lower(), line, col))
        elif kind != "ws":
            tokens.append(Token(kind, m.group(), line, col))
        pos = m.end()
    if tokens:  # report "end of expression" right after the last token, not after trailing blanks
        last = tokens[-1]
        tokens.append(Token("end", "", last.line, last.col + len(last.text)))
    else:
        tokens.append(Token("end", "", 1, 1))
    return tokens


# ----------------------------------------------------------------------------- parser

_CMP = {"<", "<=", ">", ">=", "==", "=", "!="}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> Token:
        if self.tok.text != text or self.tok.kind not in ("op", "kw"):
            raise self.error(f"expected {text!r}")
        return self.take()

    def error(self, message: str) -> ExprError:
        t = self.tok
        found = "end of expression" if t.kind == "end" else repr(t.text)
        return ExprError(f"{message}, found {found}", t.line, t.col)

    def parse(self) -> Node:
        node = self.or_()
        if self.tok.kind != "end":
            raise self.error("expected an operator or the end of the expression")
        return node

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("expression nested too deeply")

    def or_(self) -> Node:
        node = self.and_()
        while self.tok.kind == "kw" and self.tok.text == "or":
            t = self.take()
            node = BinOp(t.line, t.col, "or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.tok.kind == "kw" and self.tok.text == "and":
            t = self.take()
            node = BinOp(t.line, t.col, "and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.tok.kind == "kw" and self.tok.text == "not":
            t = self.take()
            self._nest()
            node = Unary(t.line, t.col, "not", self.not_())
            self.depth -= 1
            return node
        return self.cmp()

    def cmp(self) -> Node:
        node = self.add()
        if self.tok.kind == "op" and self.tok.text in _CMP:
            t = self.take()
            op = "=" if t.text == "==" else t.text
            node = BinOp(t.line, t.col, op, node, self.add())
            if self.tok.kind == "op" and self.tok.text in _CMP:
                raise self.error("comparisons cannot be chained; use 'and'")
        return node

    def add(self) -> Node:
        node = self.mul()
        while self.tok.kind == "op" and self.tok.text in "+-":
            t = self.take()
            node = BinOp(t.line, t.col, t.text, node, self.mul())
        return node

    def mul(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in "*/":
            t = self.take()
            node = BinOp(t.line, t.col, t.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text == "-":
            t = self.take()
            self._nest()
            node = Unary(t.line, t.col, "-", self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            return Num(t.line, t.col, float(t.text.replace("_", "")))
        if t.kind == "kw" and t.text in ("true", "false", "null"):
            self.take()
            return Const(t.line, t.col, {"true": True, "false": False, "null": None}[t.text])
        if t.kind == "name":
            self.take()
            if self.tok.kind == "op" and self.tok.text == "(":
                self.take()
                self._nest()
                args: list[Node] = []
                if not (self.tok.kind == "op" and self.tok.text == ")"):
                    args.append(self.or_())
                    while self.tok.kind == "op" and self.tok.text == ",":
                        self.take()
                        args.append(self.or_())
                self.expect(")")
                self.depth -= 1
                return Call(t.line, t.col, t.text, tuple(args))
            return Name(t.line, t.col, t.text)
        if t.kind == "op" and t.text == "(":
            self.take()
            self._nest()
            node = self.or_()
            self.expect(")")
            self.depth -= 1
            return node
        raise self.error("expected a number, a name, a function call or '('")


def parse(text: str) -> Node:
    """Parse an expression; raises :class:`ExprError` with line and column on any problem."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression")
    return _Parser(text).parse()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    if isinstance(node, Call):
        for a in node.args:
            yield from walk(a)
    elif isinstance(node, BinOp):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Unary):
        yield from walk(node.operand)
