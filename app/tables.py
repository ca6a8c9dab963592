"""Every table of the app database, registered on ``core.orm.Base.metadata`` by import.

The composition root, the migrations and the tests import this module; features never do.
"""

from __future__ import annotations

import alerts.models  # noqa: F401
import alerts.wechat_reach  # noqa: F401  (wechat_template_quota)
import channels.web.models  # noqa: F401
import channels.wechat.replay  # noqa: F401
import console.models  # noqa: F401
import insights.models  # noqa: F401
from core.orm import Base

metadata = Base.metadata
