"""What a wallet's owner is told when their store credit moves (sent once the change commits)."""

from core import outbox
from ledger.chart import WALLET_PREFIX
from ledger.models import Account


def notify_wallet_change(account: Account) -> None:
    """Queue the "your store credit changed" e-mail for a wallet's owner; other accounts have none."""
    if account.owner_id and account.code.startswith(WALLET_PREFIX):
        outbox.enqueue("ledger.tasks.send_wallet_email_task", user_id=account.owner_id, currency=account.currency)
