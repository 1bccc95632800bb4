#!/usr/bin/env python3
"""Parses ObjectScript class files with the ObjectScript tree-sitter grammar; prints JSON.

    parse.py FILE.cls...

Class files (.cls) are UDL, so the grammar is objectscript_udl (package tree_sitter_objectscript_udl
of the PyPI distribution tree-sitter-objectscript; objectscript_routine is for .mac/.inc/.int).
For every file the output lists:
  - "errors": every ERROR and every MISSING node (nested ones too: the innermost is often the more
    precise), with its 1-based line and column where it starts and ends, its text and the source
    line where it starts ("snippet");
  - "zdatetime_utc_converted_again": every $ZDATETIME/$ZDT call whose first argument is
    $ZTIMESTAMP/$ZTS and whose third argument (tformat) is 7 or 8: those tformats convert a LOCAL
    time to UTC, so a $ZTIMESTAMP (already UTC) comes out shifted by the time zone offset.
A file that cannot be read is reported with "read_error". The exit status is 0 unless this
script itself crashes (the caller decides what fails).
"""
import json
import re
import sys

import tree_sitter
import tree_sitter_objectscript_udl

SNIPPET_MAX = 120
ZDATETIME = re.compile(rb"^\$(zdatetime|zdt)\s*\($", re.IGNORECASE)
ZTIMESTAMP = re.compile(rb"^\$(ztimestamp|zts)$", re.IGNORECASE)


def position(source, offset):
    """1-based line and character column of a byte offset (tree-sitter columns count bytes)."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    column = len(source[line_start:offset].decode("utf-8", "replace")) + 1
    return source.count(b"\n", 0, offset) + 1, column


def source_line(source, row):
    lines = source.split(b"\n")
    text = lines[row].decode("utf-8", "replace") if row < len(lines) else ""
    return text.strip()[:SNIPPET_MAX]


def clip(data):
    text = data.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_MAX else text[: SNIPPET_MAX - 1] + "…"


def syntax_errors(source, root):
    found = []

    def visit(node):
        if node.is_error or node.is_missing:
            line, column = position(source, node.start_byte)
            end_line, end_column = position(source, node.end_byte)
            found.append({
                "kind": "MISSING" if node.is_missing else "ERROR",
                # For a MISSING node, the token the parser inserted (e.g. "}").
                "expected": node.type if node.is_missing else None,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "text": clip(node.text or b""),
                "snippet": source_line(source, line - 1),
            })
        for child in node.children:
            visit(child)

    visit(root)
    if root.has_error and not found:
        found.append({"kind": "ERROR", "expected": None, "line": 1, "column": 1, "end_line": 1,
                      "end_column": 1, "text": "", "snippet": "the parser reports an error it does not locate"})
    return found


def call_arguments(source, node):
    """The name (e.g. b"$zdt(") and the argument texts of a system_defined_function call.

    The grammar keeps the function name and "(" inside the node, before its first child; an empty
    argument shows as two commas in a row.
    """
    if not node.children:
        return None, []
    name = source[node.start_byte:node.children[0].start_byte].strip()
    args = [b""]
    for child in node.children:
        if child.type == ",":
            args.append(b"")
        elif child.type == "method_arg":
            args[-1] = source[child.start_byte:child.end_byte].strip()
    return name, args


def zdatetime_utc_converted_again(source, root):
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        if node.type != "system_defined_function":
            continue
        name, args = call_arguments(source, node)
        if name is None or not ZDATETIME.match(name) or len(args) < 3:
            continue
        if ZTIMESTAMP.match(args[0]) and args[2] in (b"7", b"8"):
            line, column = position(source, node.start_byte)
            found.append({"line": line, "column": column, "text": clip(node.text or b""),
                          "tformat": int(args[2])})
    return found


def main(paths):
    language = tree_sitter.Language(tree_sitter_objectscript_udl.language_objectscript_udl())
    parser = tree_sitter.Parser(language)
    files = []
    for path in paths:
        try:
            with open(path, "rb") as f:
                source = f.read()
        except OSError as e:
            files.append({"file": path, "read_error": str(e), "errors": [],
                          "zdatetime_utc_converted_again": []})
            continue
        tree = parser.parse(source)
        files.append({
            "file": path,
            "root": tree.root_node.type,
            "errors": syntax_errors(source, tree.root_node),
            "zdatetime_utc_converted_again": zdatetime_utc_converted_again(source, tree.root_node),
        })
    json.dump({"grammar": "objectscript_udl", "files": files}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
