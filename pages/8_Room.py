"""Step 8 — Room: the facilitator's board — who is active or stuck, and the room's pooled answer."""

from workshop.ui.frame import page
from workshop.ui.room_view import room_page

ctx = page("Room", step=8, icon=":material/groups:")
room_page(ctx)
