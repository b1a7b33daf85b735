"""Step 7 — History: past comparison runs, side by side, exports, and the invocation log."""

from workshop.ui.frame import page
from workshop.ui.history_view import history_page

ctx = page("History", step=7, icon=":material/history:")
history_page(ctx)
