"""A migrations-only stub: the anti-abuse code lives in orders now (models, rules, review, admin).

Kept until a later release so its migrations still run: on a fresh database 0001 creates the
tables that orders then takes over (orders 0009, 0010), and on an existing one 0003 (forget
the models, keep the tables) must be recorded. Nothing imports it and it has no models; once
every database has applied orders 0010 it can go (with a squash of orders' migrations).
"""
