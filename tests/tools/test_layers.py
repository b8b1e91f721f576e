#!/usr/bin/python3
"""The folders depend one way: runtime/ on nothing outside it; allocators/
on runtime/; bench/ (and examples/) on runtime/ and allocators/. Read from
the source: every `#include "..."` of a C/C++ file resolved to a file of the
tree, and every path a folder's CMakeLists.txt names in another folder.
Prints the folder graph; fails on an arrow the layering forbids."""
import pathlib
import re
import sys
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
FOLDERS = ("runtime", "allocators", "bench", "examples")
# What each folder may use besides itself.
ALLOWED = {"runtime": set(), "allocators": {"runtime"}, "bench": {"runtime", "allocators"},
           "examples": {"runtime"}}
INCLUDE_DIRS = ("runtime/include", "runtime/src", "allocators/include", "allocators", "bench")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
CMAKE_PATH_RE = re.compile(r"\$\{PROJECT_SOURCE_DIR\}/([A-Za-z0-9_]+)")


def folder_of(path: pathlib.Path) -> str | None:
    rel = path.resolve().relative_to(REPO).parts
    return rel[0] if rel and rel[0] in FOLDERS else None


def sources():
    for top in FOLDERS:
        for p in (REPO / top).rglob("*"):
            if p.suffix in (".c", ".h", ".cpp", ".hpp") and "tests" not in p.relative_to(REPO).parts:
                yield p


def resolve(src: pathlib.Path, name: str) -> pathlib.Path | None:
    for base in [src.parent] + [REPO / d for d in INCLUDE_DIRS]:
        cand = base / name
        if cand.is_file():
            return cand
    return None


def edges() -> dict:
    """{(from folder, to folder): [why, ...]} over the whole tree."""
    out: dict = {}
    for src in sources():
        here = folder_of(src)
        for name in INCLUDE_RE.findall(src.read_text(errors="replace")):
            target = resolve(src, name)
            there = folder_of(target) if target else None
            if there and there != here:
                out.setdefault((here, there), []).append(
                    "%s includes %s" % (src.relative_to(REPO), target.relative_to(REPO)))
    for top in FOLDERS:
        for cm in (REPO / top).rglob("CMakeLists.txt"):
            if "tests" in cm.relative_to(REPO).parts:
                continue
            for there in CMAKE_PATH_RE.findall(cm.read_text()):
                if there in FOLDERS and there != top:
                    out.setdefault((top, there), []).append(
                        "%s names ${PROJECT_SOURCE_DIR}/%s" % (cm.relative_to(REPO), there))
    return out


class LayersTest(unittest.TestCase):
    def test_folders_depend_one_way(self):
        graph = edges()
        for (a, b), why in sorted(graph.items()):
            print("%s -> %s (%d)" % (a, b, len(why)), file=sys.stderr)
        bad = ["%s -> %s: %s" % (a, b, "; ".join(why[:3]))
               for (a, b), why in sorted(graph.items()) if b not in ALLOWED[a]]
        self.assertEqual(bad, [], "arrows the layering forbids:\n" + "\n".join(bad))

    def test_runtime_is_self_contained(self):
        self.assertFalse([k for k in edges() if k[0] == "runtime"])


if __name__ == "__main__":
    unittest.main()
