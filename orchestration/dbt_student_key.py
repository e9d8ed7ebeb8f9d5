"""A dbt-duckdb plugin that hands the student-key secret to each dbt connection at run time.

The secret never passes through dbt's templating: the `student_key` macro compiles to
`getvariable('spt_student_key_secret')`, and this plugin sets that DuckDB variable on every
connection and cursor dbt opens, from SPT_STUDENT_KEY_SECRET, with a bound parameter. So the
compiled SQL, the manifest, run results and dbt's log never contain it.
"""

from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin

SECRET_ENV = "SPT_STUDENT_KEY_SECRET"
VARIABLE = "spt_student_key_secret"


class Plugin(BasePlugin):
    def _set(self, connection) -> None:
        secret = os.environ.get(SECRET_ENV, "")
        if secret:
            connection.execute(f"set variable {VARIABLE} = ?", [secret])

    def configure_connection(self, conn) -> None:
        self._set(conn)

    def configure_cursor(self, cursor) -> None:
        self._set(cursor)
