#!/usr/bin/env python
"""A git merge driver for .po files: both sides' translations survive a merge.

Two branches that each translate strings change neighbouring lines of the same catalogue, which
a line merge reports as conflicts. This merges entry by entry instead: every msgid of either
side is kept, and a translation made on one side wins over an empty one on the other. When both
sides translated the same msgid differently, ours wins and the merge is reported as a conflict
(exit 1) so a person picks. Run `make messages` after a merge to re-sort and drop obsolete ids.

Registered (per clone) by `make messages-driver`:
    git config merge.po.driver "python scripts/po_merge.py %O %A %B"
with `*.po merge=po` in .gitattributes.
"""

import sys

import polib


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def merge(base_path, ours_path, theirs_path):
    ours = polib.pofile(ours_path, wrapwidth=79)
    theirs = polib.pofile(theirs_path, wrapwidth=79)
    by_key = {_key(e): e for e in ours}
    conflicts = []
    for entry in theirs:
        mine = by_key.get(_key(entry))
        if mine is None:
            ours.append(entry)
            by_key[_key(entry)] = entry
            continue
        theirs_done = entry.translated() and not entry.fuzzy
        mine_done = mine.translated() and not mine.fuzzy
        if theirs_done and not mine_done:
            mine.msgstr, mine.msgstr_plural = entry.msgstr, entry.msgstr_plural
            mine.flags = [f for f in mine.flags if f != "fuzzy"]
        elif theirs_done and mine_done and (mine.msgstr, mine.msgstr_plural) != (entry.msgstr, entry.msgstr_plural):
            conflicts.append(entry.msgid)
    ours.save(ours_path)
    for msgid in conflicts:
        print(f"po_merge: both sides translated differently (ours kept): {msgid!r}", file=sys.stderr)
    return 1 if conflicts else 0


if __name__ == "__main__":
    sys.exit(merge(*sys.argv[1:4]))
