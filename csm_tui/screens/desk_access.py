"""How a screen reaches the app and its Desk: one mixin instead of the same two properties
in every screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from textual.app import App

    from csm_tui.app import CsmApp
    from csm_tui.desk import Desk


class DeskAccess:
    """Mixed into screens (before ``Screen``): ``self.csm_app`` and ``self.desk``."""

    app: App  # provided by the Screen this is mixed into

    @property
    def csm_app(self) -> CsmApp:
        return cast("CsmApp", self.app)

    @property
    def desk(self) -> Desk:
        return self.csm_app.desk
