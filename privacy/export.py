"""A customer's data as files: one JSON document, and a CSV per table, zipped for download."""

import csv
import io
import json
import zipfile


def as_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)


def _csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def as_tables(data: dict) -> dict[str, str]:
    """CSV text per file name for the tabular parts (nested lists become their own files)."""
    orders = [{k: v for k, v in o.items() if k not in ("lines", "history")} for o in data["orders"]]
    lines = [{"order": o["number"], **line} for o in data["orders"] for line in o["lines"]]
    history = [{"order": o["number"], **h} for o in data["orders"] for h in o["history"]]
    payments = [
        {
            **{k: v for k, v in p.items() if k not in ("refunds", "payer_data")},
            "payer_data": json.dumps(p["payer_data"]),
        }
        for p in data["payments"]
    ]
    refunds = [{"payment": p["reference"], **r} for p in data["payments"] for r in p["refunds"]]
    wallet = [{"currency": w["currency"], **line} for w in data["wallets"] for line in w["statement"]]
    tables = {
        "account.csv": [data["account"]],
        "orders.csv": orders,
        "order_lines.csv": lines,
        "order_history.csv": history,
        "payments.csv": payments,
        "refunds.csv": refunds,
        "shipments.csv": data["shipments"],
        "wallet_statement.csv": wallet,
    }
    return {name: _csv(rows) for name, rows in tables.items()}


def as_zip(data: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("customer.json", as_json(data))
        for name, text in as_tables(data).items():
            archive.writestr(name, text)
    return buffer.getvalue()
