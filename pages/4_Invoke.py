"""Step 4 — Invoke: call the model through the chosen path and API, watch the answer stream in."""

from workshop.ui.frame import page
from workshop.ui.invoke_view import invoke_page

ctx = page("Invoke", step=4, icon=":material/bolt:")
invoke_page(ctx)
