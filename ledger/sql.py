"""The ledger's database-side rules and its one-shot posting function (used by migrations).

Why a PL/pgSQL function: a posting must lock its accounts, move balances, bump versions and
write postings with the balance after each. Done as ORM round trips from Python, the hot
rows (every payment touches `psp:*` and `customer_prepayments`) stay locked for the whole
Python turn-around, and throughput collapses to 1 / lock-hold (reference/ledger.md: ~280
postings/s). One function call is one round trip: locks are held for microseconds of
server time. Together with sharded hot accounts (see ledger/services/shards.py) this is the
design measured fastest there, and bench/ledger.py measures it here.
"""

POST_ENTRY_FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_post_entry(
    p_key text, p_hash text, p_kind text, p_memo text, p_ref_type text, p_ref_id text,
    p_created_by bigint, p_reverses bigint, p_accounts bigint[], p_amounts bigint[],
    p_release_account bigint DEFAULT NULL, p_release_amount bigint DEFAULT NULL
) RETURNS TABLE (entry_id bigint, created boolean, stored_hash text)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_entry bigint;
    v_hash text;
    v_locked int;
BEGIN
    -- Idempotency first, before any lock: a duplicate exits here, cheaply. A concurrent
    -- duplicate waits on the unique index until the first commits, then sees its entry.
    INSERT INTO ledger_journalentry
        (idempotency_key, request_hash, kind, memo, reference_type, reference_id,
         created_by_id, reverses_id, created_at)
    VALUES (p_key, p_hash, p_kind, p_memo, p_ref_type, p_ref_id, p_created_by, p_reverses, now())
    ON CONFLICT ON CONSTRAINT entry_idempotency_key_unique DO NOTHING
    RETURNING id INTO v_entry;
    IF v_entry IS NULL THEN
        SELECT e.id, e.request_hash INTO v_entry, v_hash
          FROM ledger_journalentry e WHERE e.idempotency_key = p_key;
        RETURN QUERY SELECT v_entry, false, v_hash;
        RETURN;
    END IF;

    IF coalesce(array_length(p_accounts, 1), 0) < 2
       OR array_length(p_accounts, 1) <> array_length(p_amounts, 1)
       OR array_length(p_accounts, 1) <> (SELECT count(DISTINCT a) FROM unnest(p_accounts) a) THEN
        RAISE EXCEPTION 'ledger: an entry needs two or more legs on distinct accounts'
            USING ERRCODE = '22023';
    END IF;

    -- One global lock order for every posting in the system: cold accounts by id, then hot
    -- ones by id. Hot rows are locked last, so they are held for the shortest time.
    SELECT count(*) INTO v_locked FROM (
        SELECT id FROM ledger_account WHERE id = ANY(p_accounts)
         ORDER BY is_hot, id FOR NO KEY UPDATE
    ) locked;
    IF v_locked <> array_length(p_accounts, 1) THEN
        RAISE EXCEPTION 'ledger: unknown account in %', p_accounts USING ERRCODE = '23503';
    END IF;

    IF p_release_account IS NOT NULL THEN
        UPDATE ledger_account SET held = held - p_release_amount WHERE id = p_release_account;
    END IF;

    WITH legs AS (
        SELECT l.a, l.m FROM unnest(p_accounts, p_amounts) AS l(a, m)
    ), upd AS (
        UPDATE ledger_account acc
           SET balance = acc.balance + acc.normal_sign * legs.m,
               version = acc.version + 1
          FROM legs
         WHERE acc.id = legs.a
        RETURNING acc.id, acc.currency, acc.balance, acc.version, legs.m
    )
    INSERT INTO ledger_posting
        (entry_id, account_id, currency, amount, balance_after, account_version, created_at)
    SELECT v_entry, upd.id, upd.currency, upd.m, upd.balance, upd.version, now() FROM upd;

    RETURN QUERY SELECT v_entry, true, p_hash;
END
$fn$;
"""

BALANCE_TRIGGER = r"""
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    bad record;
    v_legs int;
    v_mismatched int;
BEGIN
    -- Fired at COMMIT for every posting; the entry's last posting checks the whole entry,
    -- so each entry is checked once. A posting added later to an old entry is its last.
    PERFORM 1 FROM ledger_posting WHERE entry_id = NEW.entry_id AND id > NEW.id LIMIT 1;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM ledger_journalentry WHERE id = NEW.entry_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger: posting % belongs to no journal entry (%)', NEW.id, NEW.entry_id
            USING ERRCODE = '23503';
    END IF;
    SELECT count(*), count(*) FILTER (WHERE a.id IS NULL OR a.currency <> p.currency)
      INTO v_legs, v_mismatched
      FROM ledger_posting p LEFT JOIN ledger_account a ON a.id = p.account_id
     WHERE p.entry_id = NEW.entry_id;
    IF v_mismatched > 0 THEN
        RAISE EXCEPTION 'ledger: journal entry % posts to a missing account or in another currency than the account''s',
            NEW.entry_id USING ERRCODE = '23503';
    END IF;
    IF v_legs < 2 THEN
        RAISE EXCEPTION 'ledger: journal entry % does not balance: it has a single posting', NEW.entry_id
            USING ERRCODE = '23514';
    END IF;
    SELECT p.currency, sum(p.amount) AS total INTO bad
      FROM ledger_posting p WHERE p.entry_id = NEW.entry_id
     GROUP BY p.currency HAVING sum(p.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: journal entry % does not balance in %: its postings sum to %',
            NEW.entry_id, bad.currency, bad.total USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END
$fn$;

-- Checked at COMMIT, once every posting of the entry is in. It also stands in for foreign
-- keys on postings (entry exists; account exists and has the posting's currency): the same
-- guarantees, checked once per entry instead of twice per posting.
CREATE CONSTRAINT TRIGGER ledger_posting_entry_balanced
    AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
"""

IMMUTABILITY_TRIGGERS = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'ledger: % on % refused: the books are append-only; post a reversing entry instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = '42501';
END
$fn$;

CREATE TRIGGER ledger_journalentry_append_only
    BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_posting_append_only
    BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- Accounts are never deleted (postings and holds point at them without a foreign key).
CREATE TRIGGER ledger_account_never_deleted
    BEFORE DELETE ON ledger_account
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""

CURRENCY_FOREIGN_KEYS = r"""
ALTER TABLE ledger_hold
    ADD CONSTRAINT ledger_hold_account_currency_fk
    FOREIGN KEY (account_id, currency) REFERENCES ledger_account (id, currency);
"""

# Account rows are updated on every posting: room on each page lets PostgreSQL update them
# in place (HOT updates, no index churn).
TUNING = "ALTER TABLE ledger_account SET (fillfactor = 50);"

FORWARD = [POST_ENTRY_FUNCTION, BALANCE_TRIGGER, IMMUTABILITY_TRIGGERS, CURRENCY_FOREIGN_KEYS, TUNING]

BACKWARD = [
    "ALTER TABLE ledger_account RESET (fillfactor);",
    "ALTER TABLE ledger_hold DROP CONSTRAINT IF EXISTS ledger_hold_account_currency_fk;",
    "DROP TRIGGER IF EXISTS ledger_account_never_deleted ON ledger_account;"
    "DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;"
    "DROP TRIGGER IF EXISTS ledger_journalentry_append_only ON ledger_journalentry;"
    "DROP FUNCTION IF EXISTS ledger_refuse_change();",
    "DROP TRIGGER IF EXISTS ledger_posting_entry_balanced ON ledger_posting;"
    "DROP FUNCTION IF EXISTS ledger_check_entry_balanced();",
    "DROP FUNCTION IF EXISTS ledger_post_entry(text, text, text, text, text, text, bigint, bigint,"
    " bigint[], bigint[], bigint, bigint);",
]
