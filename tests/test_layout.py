"""The code's shape: no app module grows past what a reader can hold (DESIGN: ~400 lines)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
SKIPPED_PARTS = {".venv", "migrations", "tests", "bench", "node_modules", "staticfiles"}


def test_no_app_module_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in ROOT.rglob("*.py")
        if not SKIPPED_PARTS & set(path.relative_to(ROOT).parts)
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these into modules named for what they hold: {long}"
