"""scripts/po_merge.py, the git merge driver for the catalogues: both sides' translations survive."""

import subprocess
import sys
from pathlib import Path

import polib

DRIVER = Path(__file__).resolve().parent.parent / "scripts" / "po_merge.py"


def catalogue(path: Path, entries: dict[str, str]) -> Path:
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for msgid, msgstr in entries.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.save(str(path))
    return path


def merge(tmp_path, base, ours, theirs):
    sides = (("base", base), ("ours", ours), ("theirs", theirs))
    paths = [catalogue(tmp_path / f"{name}.po", entries) for name, entries in sides]
    result = subprocess.run([sys.executable, str(DRIVER), *map(str, paths)], capture_output=True, text=True)
    merged = {e.msgid: e.msgstr for e in polib.pofile(str(paths[1]))}
    return result.returncode, merged, result.stderr


def test_each_sides_translations_and_new_entries_are_kept(tmp_path):
    code, merged, _ = merge(
        tmp_path,
        base={"Cart": "", "Order": ""},
        ours={"Cart": "Кошик", "Order": "", "Checkout": "Оформлення"},
        theirs={"Cart": "", "Order": "Замовлення", "Refund": "Повернення коштів"},
    )
    assert code == 0
    assert merged == {"Cart": "Кошик", "Order": "Замовлення", "Checkout": "Оформлення", "Refund": "Повернення коштів"}


def test_two_different_translations_keep_ours_and_report_a_conflict(tmp_path):
    code, merged, said = merge(tmp_path, base={"Payment": ""}, ours={"Payment": "Оплата"}, theirs={"Payment": "Платіж"})
    assert code == 1
    assert merged == {"Payment": "Оплата"}
    assert "Payment" in said
