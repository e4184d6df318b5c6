#!/usr/bin/env python3
"""The core's layering, read from the sources themselves: every include from one core folder into
another must follow an arrow of core/CMakeLists.txt's target_link_libraries (directly or through
other arrows), and those arrows must have no cycle. Folder X (with its subfolders) is target qbX;
the files directly in core/ are qbbase. Usage: check_core_layering.py REPO_ROOT"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1]) / "core"
cmake = (root / "CMakeLists.txt").read_text()
arrows = {t: set() for t in re.findall(r"add_library\((qb\w+)", cmake)}
for target, deps in re.findall(r"target_link_libraries\((qb\w+)\s+(?:PUBLIC|PRIVATE|INTERFACE)\s+([^)]*)\)", cmake):
    arrows[target] = {d for d in deps.split() if d.startswith("qb")}
arrows.pop("qbcore", None)  # the umbrella over everything, used by executables and tests only

failures = []

# No cycle: a depth-first walk never meets a target still on its own path.
def visit(target, path):
    if target in path:
        failures.append("cycle: " + " -> ".join(path[path.index(target):] + [target]))
        return
    for d in arrows.get(target, ()):
        visit(d, path + [target])
for t in arrows:
    visit(t, [])

def reachable(target):
    seen, todo = set(), [target]
    while todo:
        for d in arrows.get(todo.pop(), ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen

def target_of(folder):
    # A concern's subfolders (core/kernels/legacy, ...) belong to the concern's target.
    top = pathlib.PurePath(folder).parts[:1]
    return "qbbase" if not top or top[0] == "." else "qb" + top[0]

checked = 0
for path in sorted(root.rglob("*")):
    if path.suffix not in (".h", ".cpp"):
        continue
    rel = path.relative_to(root)
    source = target_of(str(rel.parent))
    if source not in arrows:
        failures.append(f"{rel}: folder has no target in core/CMakeLists.txt")
        continue
    for include in re.findall(r'^#include "([^"]+)"', path.read_text(errors="replace"), re.M):
        if not (root / include).exists():
            continue  # a header of the same folder by bare name, or not core's
        target = target_of(str(pathlib.PurePath(include).parent))
        checked += 1
        if target != source and target not in reachable(source):
            failures.append(f"{rel} includes {include}: no arrow {source} -> {target}")

for f in failures:
    print("FAIL", f)
if checked < 100:
    print(f"FAIL only {checked} cross-file includes found: wrong folder?")
    sys.exit(1)
print(f"{'ok' if not failures else 'FAILED'}: {len(arrows)} core targets, {checked} includes checked")
sys.exit(1 if failures else 0)
