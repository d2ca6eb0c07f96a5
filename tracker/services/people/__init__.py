"""People: who is acting and what they may see (access), what they did (audit), their accounts (users)
and their sign-in sessions (sessions).

Every other capability reads and writes through these rules, so this package sits at the bottom.
"""
