"""Pool connections that skip asyncpg's reset query on release.

asyncpg resets every connection it takes back (`pg_advisory_unlock_all; CLOSE ALL;
UNLISTEN *; RESET ALL`), one more round trip per use. Ours hold no session state: advisory
locks are transaction-scoped (the scheduler's session locks are released explicitly),
LISTEN has its own connection, nothing SETs session variables. An open transaction is still
rolled back on release (asyncpg always does that part).
"""

from __future__ import annotations

import asyncpg


class SessionlessConnection(asyncpg.Connection):  # type: ignore[misc]
    def get_reset_query(self) -> str:
        return ""
