"""Ledger benchmark: ``gridgov ledger verify`` (every transaction sums to zero, every stored
balance equals the sum of its entries) over bulk-generated entries, against the raw SQL
sums of the same checks (``SELECT account_id, SUM(amount) … GROUP BY``) in the same run."""

from __future__ import annotations

import random
import time
from decimal import Decimal

ACCOUNTS = 1_000


def generate(entries: int, seed: int = 7) -> dict:
    """``entries`` entries in two-leg transactions (issuer → a holder), untimed setup; the
    stored balances are set from the entries so the ledger verifies."""
    from django.db import connection
    from django.utils import timezone

    from gridgov.core import ledger
    from gridgov.core.models import LedgerAccount, LedgerEntry, LedgerTransaction

    rng = random.Random(seed)
    book = ledger.ledger("bench", 0)
    issuer = ledger.account("bench", "system", "issuer", ledger.Kind.ISSUER)
    holders = [ledger.account("bench", "bench.holder", i) for i in range(ACCOUNTS)]
    now = timezone.now()
    t0 = time.perf_counter()
    batch = 10_000
    made = 0
    while made < entries:
        n = min(batch, (entries - made) // 2) or 1
        txns = LedgerTransaction.objects.bulk_create(
            [
                LedgerTransaction(
                    ledger=book, action="bench", source_key=f"b{made + i}", occurred_at=now
                )
                for i in range(n)
            ]
        )
        rows = []
        for txn in txns:
            amount = Decimal(rng.randint(1, 50))
            rows.append(LedgerEntry(transaction=txn, account=issuer, amount=-amount))
            rows.append(LedgerEntry(transaction=txn, account=rng.choice(holders), amount=amount))
        LedgerEntry.objects.bulk_create(rows, batch_size=batch)
        made += 2 * n
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_ledgeraccount a SET balance = s.total FROM (SELECT account_id, "
            "SUM(amount) AS total FROM core_ledgerentry GROUP BY account_id) s "
            "WHERE a.id = s.account_id"
        )
    assert LedgerAccount.objects.filter(ledger=book).count() == ACCOUNTS + 1
    return {"entries": made, "setup_s": time.perf_counter() - t0}


def _raw() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT transaction_id FROM core_ledgerentry GROUP BY transaction_id "
            "HAVING SUM(amount) <> 0"
        )
        unbalanced = len(cursor.fetchall())
        cursor.execute("SELECT account_id, SUM(amount) FROM core_ledgerentry GROUP BY account_id")
        sums = dict(cursor.fetchall())
        cursor.execute("SELECT id, balance FROM core_ledgeraccount")
        wrong = sum(1 for pk, balance in cursor.fetchall() if sums.get(pk, 0) != balance)
    return unbalanced, wrong


def bench_verify(repeat: int = 3) -> dict:
    from gridgov.core.ledger import verify

    product, raw = [], []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = verify()
        product.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        unbalanced, wrong = _raw()
        raw.append(time.perf_counter() - t0)
    assert result.ok and unbalanced == 0 and wrong == 0, (result, unbalanced, wrong)
    return {"verify_s": min(product), "raw_s": min(raw), "entries": result.entries}


def ledger_lines(generated: dict, measured: dict) -> list[str]:
    ratio = measured["verify_s"] / max(measured["raw_s"], 1e-6)
    return [
        f"| ledger verify over {measured['entries']:,} entries ({generated['setup_s']:.0f} s "
        f"to generate) | {measured['verify_s'] * 1000:.0f} ms | raw SQL sums "
        f"{measured['raw_s'] * 1000:.0f} ms | {ratio:.2f}× | ≤ 2× raw |"
    ]
