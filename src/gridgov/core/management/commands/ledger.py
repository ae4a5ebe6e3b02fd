from django.core.management.base import BaseCommand, CommandError

from gridgov.core.ledger import verify


class Command(BaseCommand):
    help = (
        "Ledgers (core/ledger.py). `ledger verify [--ledger CODE]`: every transaction sums "
        "to zero and every stored balance equals the sum of its entries; prints each "
        "difference and exits non-zero when there is one."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        check = sub.add_parser("verify", help="check the ledgers' invariants")
        check.add_argument("--ledger", default=None, help="only this ledger's code")

    def handle(self, *args, **options):
        result = verify(options.get("ledger"))
        for pk, total in result.unbalanced:
            self.stdout.write(f"UNBALANCED transaction {pk}: entries sum to {total}")
        for pk, code, stored, derived in result.mismatched:
            self.stdout.write(
                f"BALANCE account {pk} ({code}): stored {stored}, entries sum to {derived}, "
                f"difference {stored - derived}"
            )
        if not result.ok:
            raise CommandError(
                f"BROKEN: {len(result.unbalanced)} unbalanced transactions, "
                f"{len(result.mismatched)} wrong balances"
            )
        self.stdout.write(
            f"OK: {result.transactions} transactions, {result.entries} entries, "
            f"{result.accounts} accounts verified"
        )
